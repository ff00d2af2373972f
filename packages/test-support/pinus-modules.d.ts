// The built CommonJS entries of pinus-protocol and pinus-protobuf, for code that imports them
// rather than the typed codecs of '@shaddock/test-support' (their package names would lead tsc to
// their TypeScript sources): `/// <reference types="@shaddock/test-support/pinus-modules" />`.

declare module 'pinus-protocol/dist/index.js' {
  import type { PinusProtocol } from '@shaddock/test-support';

  const pinusProtocol: PinusProtocol;
  export = pinusProtocol;
}

declare module 'pinus-protobuf/dist/protobuf.js' {
  import type { PinusProtobuf } from '@shaddock/test-support';

  const pinusProtobuf: PinusProtobuf;
  export = pinusProtobuf;
}
