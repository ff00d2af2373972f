/**
 * Integers at msgpack's format boundaries (fixint, uint8/16/32, int8/16/32, and the first values
 * past each), for tests that compare an encoder or a decoder with msgpackr's.
 */
export const MSGPACK_INTEGER_EDGES: readonly number[] = [
  0,
  -0,
  1,
  0x1f,
  0x20,
  0x3f,
  0x40,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  0xffffffff,
  2 ** 32,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
];
