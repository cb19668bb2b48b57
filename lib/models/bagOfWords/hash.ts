// MurmurHash3 (x86, 32-bit), the hash scikit-learn's HashingVectorizer and
// FeatureHasher use: a published, stable function, so a bucket id computed
// here is the same in Python (`mmh3.hash(bytes, seed, signed=False)`).

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = rotl32(k, 15);
  k = Math.imul(k, C2);
  h ^= k;
  h = rotl32(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * MurmurHash3_x86_32 of a byte string, as an unsigned 32-bit integer.
 *
 * @example
 * murmurHash3(new TextEncoder().encode("hello"), 0); // 0x248bfa47
 */
export function murmurHash3(bytes: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    h = mixBlock(h, bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24));
  }
  const tail = blocks * 4;
  let k = 0;
  switch (bytes.length & 3) {
    case 3:
      k ^= bytes[tail + 2] << 16;
    // falls through
    case 2:
      k ^= bytes[tail + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[tail];
      k = Math.imul(k, C1);
      k = rotl32(k, 15);
      k = Math.imul(k, C2);
      h ^= k;
  }
  h ^= bytes.length;
  return fmix32(h);
}

/**
 * MurmurHash3_x86_32 of two unsigned 32-bit words (8 little-endian bytes),
 * without allocating: the key of a token-id pair.
 *
 * @example
 * murmurHash3Pair(2129, 2052); // equals murmurHash3(<2129, 2052 as 8 LE bytes>)
 */
export function murmurHash3Pair(a: number, b: number, seed = 0): number {
  let h = mixBlock(seed | 0, a | 0);
  h = mixBlock(h, b | 0);
  h ^= 8;
  return fmix32(h);
}
