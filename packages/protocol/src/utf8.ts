import { ProtocolError, ProtocolErrorCode } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const SHORT_TEXT = 64;

/** UTF-8 bytes of `text`. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Writes `text` as UTF-8 into `target` at `offset` and returns the number of bytes written.
 * `target` must have room for {@link utf8Length}(text) bytes.
 */
export function writeUtf8(text: string, target: Uint8Array, offset: number): number {
  return encoder.encodeInto(text, target.subarray(offset)).written;
}

/** The number of bytes `text` takes in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) length += 1;
    else if (unit < 0x800) length += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        index++;
      } else length += 3;
    } else length += 3;
  }
  return length;
}

/** Decodes UTF-8 strictly: malformed bytes are a {@link ProtocolError}, never replacement characters. */
export function decodeUtf8(bytes: Uint8Array): string {
  // Short ASCII (routes, small JSON bodies) is cheaper to build by hand than through TextDecoder.
  if (bytes.length <= SHORT_TEXT) {
    let text = '';
    for (let index = 0; index < bytes.length; index++) {
      const byte = bytes[index] as number;
      if (byte >= 0x80) return decodeWithTextDecoder(bytes);
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return decodeWithTextDecoder(bytes);
}

function decodeWithTextDecoder(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.InvalidUtf8, 'invalid UTF-8 in a message', { cause });
  }
}
