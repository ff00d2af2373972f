/**
 * Every way a Pomelo wire message can be malformed, as one list of codes.
 *
 * Decoders never throw anything but {@link ProtocolError}: a connector catches it, answers or
 * closes that one connection, and nothing else is disturbed.
 */
export const ProtocolErrorCode = {
  UnknownPackageType: 'SHADDOCK_ERR_PROTOCOL_UNKNOWN_PACKAGE_TYPE',
  PackageTooLarge: 'SHADDOCK_ERR_PROTOCOL_PACKAGE_TOO_LARGE',
  TruncatedPackage: 'SHADDOCK_ERR_PROTOCOL_TRUNCATED_PACKAGE',
  UnknownMessageType: 'SHADDOCK_ERR_PROTOCOL_UNKNOWN_MESSAGE_TYPE',
  ForbiddenMessageType: 'SHADDOCK_ERR_PROTOCOL_FORBIDDEN_MESSAGE_TYPE',
  TruncatedMessage: 'SHADDOCK_ERR_PROTOCOL_TRUNCATED_MESSAGE',
  InvalidMessageId: 'SHADDOCK_ERR_PROTOCOL_INVALID_MESSAGE_ID',
  InvalidRoute: 'SHADDOCK_ERR_PROTOCOL_INVALID_ROUTE',
  UnknownRouteCode: 'SHADDOCK_ERR_PROTOCOL_UNKNOWN_ROUTE_CODE',
  InvalidUtf8: 'SHADDOCK_ERR_PROTOCOL_INVALID_UTF8',
  InvalidJson: 'SHADDOCK_ERR_PROTOCOL_INVALID_JSON',
  BodyNotObject: 'SHADDOCK_ERR_PROTOCOL_BODY_NOT_OBJECT',
  InvalidProtobuf: 'SHADDOCK_ERR_PROTOCOL_INVALID_PROTOBUF',
  InvalidProtoSchema: 'SHADDOCK_ERR_PROTOCOL_INVALID_PROTO_SCHEMA',
  InvalidHandshake: 'SHADDOCK_ERR_PROTOCOL_INVALID_HANDSHAKE',
  InvalidKick: 'SHADDOCK_ERR_PROTOCOL_INVALID_KICK',
} as const;

/** One of {@link ProtocolErrorCode}'s values. */
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** The one error type the protocol package throws, for bad input and for values it cannot encode. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a {@link ProtocolError}, optionally of the given code. */
export function isProtocolError(error: unknown, code?: ProtocolErrorCode): error is ProtocolError {
  return error instanceof ProtocolError && (code === undefined || error.code === code);
}
