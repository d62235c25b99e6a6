"""What an import remembers of the papers it has met, in memory that does not grow with the file.

Matching a record needs to know whether an earlier record of the same
import named its paper. The papers themselves are in the database by the
end of each batch, so the import keeps only enough to know when to look:
a Bloom filter of the arXiv ids and title keys it has read, of a fixed
size, and one bit per paper id for "met" and for "created". A million
records used to cost 0.6 KiB each in dictionaries of papers; these cost
16 MiB whatever the size of the file, and a bit per id.
"""

# 2**27 bits, 16 MiB. At a million ids and a million title keys, about one
# answer in 100,000 is a false "perhaps" (a lookup the import did not need);
# at ten million, one in 200: slower, never wrong.
FILTER_BITS = 2**27
FILTER_HASHES = 4


class SeenFilter:
    """Strings added so far: "certainly not" or "perhaps" (a Bloom filter)."""

    def __init__(self, bits: int = FILTER_BITS) -> None:
        if bits & (bits - 1) or bits < 8:
            raise ValueError("A filter's size is a power of two of at least 8 bits.")
        self._mask = bits - 1
        self._bits = bytearray(bits // 8)

    def add(self, value: str) -> bool:
        """Add `value`; whether it was perhaps added before (else certainly not)."""
        # Python's string hash (SipHash, cached on the string) gives two
        # 32-bit halves; the positions are a + i*b (double hashing).
        code = hash(value)
        first, step = code & 0xFFFF_FFFF, (code >> 32) | 1
        bits, mask = self._bits, self._mask
        present = True
        for i in range(FILTER_HASHES):
            position = (first + i * step) & mask
            byte, bit = position >> 3, 1 << (position & 7)
            if not bits[byte] & bit:
                present = False
                bits[byte] |= bit
        return present


class PaperSet:
    """Paper ids, as one bit each up to the largest (ids come from a sequence)."""

    def __init__(self) -> None:
        self._bits = bytearray()

    def add(self, pk: int) -> None:
        byte = pk >> 3
        if byte >= len(self._bits):
            # Doubling, so that a growing import extends the array a few times.
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        self._bits[byte] |= 1 << (pk & 7)

    def __contains__(self, pk: int) -> bool:
        byte = pk >> 3
        return byte < len(self._bits) and bool(self._bits[byte] >> (pk & 7) & 1)
