//! SHA-256 of many files at once. The manifest names every input by its
//! sha256 and the cache is keyed by it, so a cold run hashes every byte it
//! reads; without the SHA instructions (this machine has none) one stream
//! runs at ~190 MB/s (the `sha2` crate; ring's assembly ~350 MB/s), and
//! hashing was a fifth of the run's CPU. SHA-256 is serial
//! within a message but independent across messages, so up to 16 files are
//! hashed side by side, one per 32-bit SIMD lane (AVX-512; 8 with AVX2), the
//! way Intel's multi-buffer hashing does (1.7 GB/s on one core here, against
//! 408 MB/s for 8 AVX2 lanes written lane-wise). On a CPU with the SHA
//! instructions, elsewhere, and for a single file, it is ring's (OpenSSL's
//! assembly: ~350 MB/s here, far more with the SHA instructions).

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// True when the CPU has the SHA instructions: ring then hashes one stream
/// at about the speed of 16 lanes here, and lanes would only add waiting.
fn has_sha_instructions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("sha")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

/// How many inputs one call hashes side by side on this CPU (1: one at a time).
pub fn lanes() -> usize {
    if has_sha_instructions() {
        return 1;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return 16;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return 8;
        }
    }
    1
}

/// The sha256 of each input, in order. Fastest with `lanes()` inputs of
/// similar length or more.
pub fn sha256_many(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
    #[cfg(target_arch = "x86_64")]
    {
        if inputs.len() > 1 && !has_sha_instructions() {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU was just found to have AVX-512F
                return unsafe { many_avx512(inputs) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU was just found to have AVX2
                return unsafe { many_avx2(inputs) };
            }
        }
    }
    one_at_a_time(inputs)
}

fn one_at_a_time(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
    inputs
        .iter()
        .map(|b| {
            let mut out = [0u8; 32];
            out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b).as_ref());
            out
        })
        .collect()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn many_avx512(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
    // a closure in an AVX-512 function may call another
    side_by_side::<16>(inputs, |s, w| compress16(s, w))
}

/// `compress` for 16 lanes in AVX-512 registers, where a rotation is one
/// instruction and Ch, Maj and three-way XOR are one `vpternlogd` each.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn compress16(state: &mut [Lanes<16>; 8], w: &mut [Lanes<16>; 64]) {
    use std::arch::x86_64::*;
    // SAFETY (loads and stores): each array is exactly 16 u32 = 64 bytes,
    // and the unaligned forms are used
    let load = |p: &Lanes<16>| unsafe { _mm512_loadu_si512(p.as_ptr().cast()) };
    let xor3 = |a, b, c| _mm512_ternarylogic_epi32::<0x96>(a, b, c);
    let add = _mm512_add_epi32;
    let mut ring: [__m512i; 16] = std::array::from_fn(|t| load(&w[t]));
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h]: [__m512i; 8] = std::array::from_fn(|i| load(&state[i]));
    let (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h);
    for (t, k) in K.iter().enumerate() {
        let wt = if t < 16 {
            ring[t]
        } else {
            let (w15, w2) = (ring[(t - 15) & 15], ring[(t - 2) & 15]);
            let s0 = xor3(_mm512_ror_epi32::<7>(w15), _mm512_ror_epi32::<18>(w15), _mm512_srli_epi32::<3>(w15));
            let s1 = xor3(_mm512_ror_epi32::<17>(w2), _mm512_ror_epi32::<19>(w2), _mm512_srli_epi32::<10>(w2));
            let v = add(add(ring[t & 15], s0), add(ring[(t - 7) & 15], s1));
            ring[t & 15] = v;
            v
        };
        let s1 = xor3(_mm512_ror_epi32::<6>(e), _mm512_ror_epi32::<11>(e), _mm512_ror_epi32::<25>(e));
        // Ch: e ? f : g
        let ch = _mm512_ternarylogic_epi32::<0xCA>(e, f, g);
        let t1 = add(add(h, s1), add(ch, add(_mm512_set1_epi32(*k as i32), wt)));
        let s0 = xor3(_mm512_ror_epi32::<2>(a), _mm512_ror_epi32::<13>(a), _mm512_ror_epi32::<22>(a));
        // Maj: the majority of a, b, c
        let maj = _mm512_ternarylogic_epi32::<0xE8>(a, b, c);
        let t2 = add(s0, maj);
        h = g;
        g = f;
        f = e;
        e = add(d, t1);
        d = c;
        c = b;
        b = a;
        a = add(t1, t2);
    }
    for (s, v) in state.iter_mut().zip([add(a, a0), add(b, b0), add(c, c0), add(d, d0), add(e, e0), add(f, f0), add(g, g0), add(h, h0)]) {
        // SAFETY: as for the loads
        unsafe { _mm512_storeu_si512(s.as_mut_ptr().cast(), v) };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn many_avx2(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
    side_by_side::<8>(inputs, compress::<8>)
}

/// One message in a lane: its whole 64-byte blocks, then its padded tail.
struct Job<'a> {
    index: usize,
    data: &'a [u8],
    /// the next block to compress
    block: usize,
    whole: usize,
    total: usize,
    tail: [u8; 128],
}

impl<'a> Job<'a> {
    fn new(index: usize, data: &'a [u8]) -> Job<'a> {
        let whole = data.len() / 64;
        let rest = &data[whole * 64..];
        let mut tail = [0u8; 128];
        tail[..rest.len()].copy_from_slice(rest);
        tail[rest.len()] = 0x80;
        let tail_blocks = if rest.len() < 56 { 1 } else { 2 };
        let bits = (data.len() as u64).wrapping_mul(8);
        tail[tail_blocks * 64 - 8..tail_blocks * 64].copy_from_slice(&bits.to_be_bytes());
        Job { index, data, block: 0, whole, total: whole + tail_blocks, tail }
    }

    fn block(&self) -> &[u8] {
        if self.block < self.whole {
            &self.data[self.block * 64..self.block * 64 + 64]
        } else {
            let k = self.block - self.whole;
            &self.tail[k * 64..k * 64 + 64]
        }
    }
}

type Lanes<const L: usize> = [u32; L];

#[inline(always)]
fn map<const L: usize>(f: impl Fn(usize) -> u32) -> Lanes<L> {
    std::array::from_fn(f)
}

/// Compresses one block in every lane. Written lane-wise over fixed-size
/// arrays, which the compiler turns into one vector instruction per step
/// (with AVX-512, rotations are single instructions).
#[inline(always)]
fn compress<const L: usize>(state: &mut [Lanes<L>; 8], w: &mut [Lanes<L>; 64]) {
    for t in 16..64 {
        let (w2, w7, w15, w16) = (w[t - 2], w[t - 7], w[t - 15], w[t - 16]);
        w[t] = map(|l| {
            let s0 = w15[l].rotate_right(7) ^ w15[l].rotate_right(18) ^ (w15[l] >> 3);
            let s1 = w2[l].rotate_right(17) ^ w2[l].rotate_right(19) ^ (w2[l] >> 10);
            w16[l].wrapping_add(s0).wrapping_add(w7[l]).wrapping_add(s1)
        });
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for t in 0..64 {
        let t1: Lanes<L> = map(|l| {
            let s1 = e[l].rotate_right(6) ^ e[l].rotate_right(11) ^ e[l].rotate_right(25);
            let ch = (e[l] & f[l]) ^ (!e[l] & g[l]);
            h[l].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[t]).wrapping_add(w[t][l])
        });
        let t2: Lanes<L> = map(|l| {
            let s0 = a[l].rotate_right(2) ^ a[l].rotate_right(13) ^ a[l].rotate_right(22);
            let maj = (a[l] & b[l]) ^ (a[l] & c[l]) ^ (b[l] & c[l]);
            s0.wrapping_add(maj)
        });
        h = g;
        g = f;
        f = e;
        e = map(|l| d[l].wrapping_add(t1[l]));
        d = c;
        c = b;
        b = a;
        a = map(|l| t1[l].wrapping_add(t2[l]));
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = map(|l| s[l].wrapping_add(v[l]));
    }
}

/// Up to `L` messages at a time, one per lane; a lane whose message ends
/// takes the next one. The last message left alone is finished one block
/// at a time by the scalar code, which is then faster.
#[inline(always)]
fn side_by_side<const L: usize>(inputs: &[&[u8]], compress: impl Fn(&mut [Lanes<L>; 8], &mut [Lanes<L>; 64])) -> Vec<[u8; 32]> {
    let mut out = vec![[0u8; 32]; inputs.len()];
    let mut jobs: [Option<Job>; L] = std::array::from_fn(|_| None);
    let mut state = [[0u32; L]; 8];
    let mut next = 0;
    for lane in 0..L {
        start(lane, &mut jobs, &mut state, &mut next, inputs);
    }
    let mut w = [[0u32; L]; 64];
    let zero = [0u8; 64];
    loop {
        let active = jobs.iter().filter(|j| j.is_some()).count();
        if active == 0 {
            break;
        }
        if active == 1 && next == inputs.len() {
            let lane = jobs.iter().position(Option::is_some).unwrap_or(0);
            if let Some(job) = jobs[lane].take() {
                out[job.index] = finish_alone(&job, std::array::from_fn(|i| state[i][lane]));
            }
            break;
        }
        for (lane, job) in jobs.iter().enumerate() {
            let block = job.as_ref().map_or(&zero[..], |j| j.block());
            for (t, word) in block.chunks_exact(4).enumerate() {
                w[t][lane] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
        }
        compress(&mut state, &mut w);
        for lane in 0..L {
            let Some(job) = jobs[lane].as_mut() else { continue };
            job.block += 1;
            if job.block == job.total {
                for (i, s) in state.iter().enumerate() {
                    out[job.index][4 * i..4 * i + 4].copy_from_slice(&s[lane].to_be_bytes());
                }
                start(lane, &mut jobs, &mut state, &mut next, inputs);
            }
        }
    }
    out
}

/// Gives `lane` the next input, if any, and resets its state.
#[inline(always)]
fn start<'a, const L: usize>(lane: usize, jobs: &mut [Option<Job<'a>>; L], state: &mut [Lanes<L>; 8], next: &mut usize, inputs: &[&'a [u8]]) {
    jobs[lane] = (*next < inputs.len()).then(|| Job::new(*next, inputs[*next]));
    *next += usize::from(*next < inputs.len());
    for (s, iv) in state.iter_mut().zip(IV) {
        s[lane] = iv;
    }
}

/// The rest of one message from a midway state, in one lane: scalar code,
/// with no lanes idling beside it.
fn finish_alone(job: &Job, state: [u32; 8]) -> [u8; 32] {
    let mut state: [Lanes<1>; 8] = state.map(|s| [s]);
    let mut w = [[0u32; 1]; 64];
    let mut j = Job { tail: job.tail, ..*job };
    while j.block < j.total {
        for (t, word) in j.block().chunks_exact(4).enumerate() {
            w[t][0] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        compress(&mut state, &mut w);
        j.block += 1;
    }
    let mut out = [0u8; 32];
    for (i, s) in state.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&s[0].to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The oracle: the `sha2` crate.
    fn sha2_crate(inputs: &[&[u8]]) -> Vec<[u8; 32]> {
        use sha2::Digest;
        inputs.iter().map(|b| sha2::Sha256::digest(b).into()).collect()
    }

    fn inputs(lens: &[usize]) -> Vec<Vec<u8>> {
        lens.iter().enumerate().map(|(k, &n)| (0..n).map(|i| (i * 31 + k * 7 + i / 251) as u8).collect()).collect()
    }

    fn check<const L: usize>(lens: &[usize]) {
        let data = inputs(lens);
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        assert_eq!(side_by_side::<L>(&refs, compress::<L>), sha2_crate(&refs), "lengths {lens:?}");
    }

    #[test]
    fn every_padding_case_matches_the_sha2_crate() {
        // empty, one byte, the 55/56/63/64 boundaries of the padding, long
        let lens: Vec<usize> = vec![0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70_001];
        check::<16>(&lens);
        check::<8>(&lens);
        check::<4>(&lens[..3]);
        check::<16>(&[5000]);
        check::<16>(&[]);
    }

    #[test]
    fn the_public_entry_point_agrees_whatever_this_cpu_has() {
        let data = inputs(&[3, 100_000, 64, 0, 999, 12_345, 56, 1 << 16, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        assert_eq!(sha256_many(&refs), sha2_crate(&refs));
        assert_eq!(one_at_a_time(&refs), sha2_crate(&refs));
        assert_eq!(crate::ingest::hex(&sha256_many(&[b"abc"])[0]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /// The SIMD kernels themselves, on this CPU whatever `sha256_many`
    /// would pick (a CPU with the SHA instructions never runs them there).
    #[test]
    fn the_simd_kernels_match_the_sha2_crate_where_the_cpu_has_them() {
        let data = inputs(&[0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70_001, 3, 5, 7, 9, 11]);
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        let mut ran = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU was just found to have AVX2
                assert_eq!(unsafe { many_avx2(&refs) }, sha2_crate(&refs));
                ran.push("avx2");
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU was just found to have AVX-512F
                assert_eq!(unsafe { many_avx512(&refs) }, sha2_crate(&refs));
                ran.push("avx512f");
            }
        }
        eprintln!("SIMD kernels checked on this CPU: {ran:?}");
    }

    proptest::proptest! {
        #[test]
        fn any_lengths_match_the_sha2_crate(lens in proptest::collection::vec(0usize..700, 0..40)) {
            let data = inputs(&lens);
            let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
            proptest::prop_assert_eq!(side_by_side::<16>(&refs, compress::<16>), sha2_crate(&refs));
            proptest::prop_assert_eq!(side_by_side::<8>(&refs, compress::<8>), sha2_crate(&refs));
            proptest::prop_assert_eq!(sha256_many(&refs), sha2_crate(&refs));
        }
    }
}
