# The userland bench's python workload (bench/userland.ts): the interpreter's own loops, dicts, strings and
# big integers, and a few stdlib modules (json, re, hashlib, zlib, heapq). Deterministic: prints the same
# digests on every VM, which the bench compares.
import hashlib, heapq, json, re, zlib

def sieve(n):
    flags = bytearray([1]) * (n + 1)
    flags[0] = flags[1] = 0
    for i in range(2, int(n ** 0.5) + 1):
        if flags[i]:
            flags[i * i::i] = bytearray(len(range(i * i, n + 1, i)))
    return [i for i, f in enumerate(flags) if f]

def words(seed, count):
    x = seed
    out = []
    for _ in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out.append(''.join(chr(97 + (x >> s) % 26) for s in range(5, 5 + 6 * ((x >> 60) % 6 + 2), 6)))
    return out

primes = sieve(300_000)
print('primes', len(primes), sum(primes) % 1_000_003)

ws = words(12345, 60_000)
counts = {}
for w in ws:
    counts[w[:3]] = counts.get(w[:3], 0) + 1
top = heapq.nlargest(5, counts.items(), key=lambda kv: (kv[1], kv[0]))
print('top', top)

text = ' '.join(ws)
print('re', len(re.findall(r'\b[aeiou]\w*[^aeiou ]\b', text)))
doc = json.dumps({'words': ws[:5000], 'counts': counts}, sort_keys=True)
print('json', len(doc), hashlib.sha256(doc.encode()).hexdigest()[:16])
packed = zlib.compress(text.encode(), 6)
print('zlib', len(packed), zlib.crc32(packed))

f = 1
for k in range(1, 1500):
    f *= k
print('bigint', len(str(f)), f % 999_999_937)
