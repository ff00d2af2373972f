/**
 * Small buffers for encoded packages, carved from shared 64 KiB slabs as Node's Buffer pool does:
 * one `new Uint8Array` per message costs more than encoding a 100-byte message.
 * A package kept alive (queued for a slow client) keeps its slab alive too; packages above
 * 4 KiB get their own buffer so that cost stays bounded.
 */
const SLAB_SIZE = 64 * 1024;
const POOLED_MAX = 4 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/** A zeroed-or-overwritten view of `length` bytes; the caller writes every byte of it. */
export function allocate(length: number): Uint8Array {
  if (length > POOLED_MAX) return new Uint8Array(length);
  if (used + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const view = new Uint8Array(slab, used, length);
  // Keep views 8-byte aligned so typed views over them stay cheap.
  used += (length + 7) & ~7;
  return view;
}
