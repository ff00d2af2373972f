// pinus-protocol and pinus-protobuf point their "types" at their TypeScript sources, which tsc
// then compiles, and which fail under our strict settings. So the benchmarks import the built
// CommonJS entry files, which tsc leaves alone, and which @shaddock/test-support declares.
/// <reference types="@shaddock/test-support/pinus-modules" />
