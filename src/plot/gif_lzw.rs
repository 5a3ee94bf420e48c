//! GIF's LZW compression, written for the delta frames of `journey.gif`:
//! byte for byte what the `gif` crate's own encoder (`weezl`) produces, about
//! five times faster on frames that are mostly runs of the transparent index.

/// GIF's variable-length LZW code stream of `data`, prefixed with its
/// minimum code size: the buffer [`gif::Encoder::write_lzw_pre_encoded_frame`]
/// takes, and byte for byte what [`Frame::make_lzw_pre_encoded`] (the `weezl`
/// encoder) produces (a test compares them).
///
/// The algorithm is plain greedy LZW (Welch 1984) as GIF89a fixes it: a clear
/// code first; codes start one bit wider than the minimum code size and
/// widen when the next code to assign no longer fits; when the table is full
/// (4096 codes) a clear code restarts it; an end code and zero padding close
/// the stream. Only the bookkeeping is organised for delta frames, which are
/// mostly long runs of the transparent index:
///
/// - the dictionary is a hash table of `(prefix code, byte) → code`, cleared
///   on a restart;
/// - the codes of the pure runs `t, tt, ttt, …` of the byte `t = run_byte`
///   form a contiguous list (`tᵏ⁺¹` can only be added while `tᵏ` is the
///   longest run known), so while the current match is such a run, greedy
///   matching extends it through the run in one step instead of one lookup
///   per byte. The output does not depend on `run_byte`, only the speed does.
pub(crate) fn lzw_encode(data: &[u8], run_byte: u8) -> Vec<u8> {
    // The minimum code size, chosen as the `gif` crate chooses it.
    let max = data.iter().copied().max().unwrap_or(0);
    let min_size = (u32::from(max) + 1)
        .max(4)
        .next_power_of_two()
        .trailing_zeros() as u8;
    let mut out = Vec::with_capacity(data.len() / 4 + 16);
    out.push(min_size);
    let mut lzw = Lzw::new(min_size, out);
    let clear = 1u16 << min_size;
    // runs[k − 1] is the code of the run of k bytes `run_byte`.
    let mut runs: Vec<u16> = Vec::with_capacity(128);
    runs.push(u16::from(run_byte));
    let mut cur: Option<u16> = None;
    // k when `cur` is the run of k bytes `run_byte`, 0 otherwise.
    let mut cur_run = 0usize;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let Some(c) = cur else {
            cur = Some(u16::from(b));
            cur_run = usize::from(b == run_byte);
            i += 1;
            continue;
        };
        if cur_run > 0 && b == run_byte && cur_run < runs.len() {
            // Extend the run as far as both the data and the known runs go.
            let room = runs.len() - cur_run;
            let avail = data[i..]
                .iter()
                .take(room)
                .take_while(|&&v| v == run_byte)
                .count();
            cur_run += avail;
            i += avail;
            cur = Some(runs[cur_run - 1]);
            continue;
        }
        if !(cur_run > 0 && b == run_byte) {
            if let Some(next) = lzw.find(c, b) {
                cur = Some(next);
                cur_run = 0;
                i += 1;
                continue;
            }
        }
        // A miss: (c, b) becomes a new code, c is written, b starts anew.
        let new_code = lzw.next;
        if new_code < MAX_CODES && lzw.insert(c, b, new_code) && cur_run > 0 && b == run_byte {
            runs.push(new_code);
        }
        lzw.next += 1;
        lzw.write(c);
        if u32::from(lzw.next) > 1u32 << lzw.size && lzw.size < MAX_CODE_SIZE {
            lzw.size += 1;
        }
        if usize::from(lzw.next) > usize::from(MAX_CODES) {
            lzw.write(clear);
            lzw.restart();
            runs.truncate(1);
        }
        cur = Some(u16::from(b));
        cur_run = usize::from(b == run_byte);
        i += 1;
    }
    if let Some(c) = cur {
        lzw.write(c);
        // The decoder adds one more entry before it reads the end code.
        if u32::from(lzw.next) > (1u32 << lzw.size) - 1 && lzw.size < MAX_CODE_SIZE {
            lzw.size += 1;
        }
    }
    lzw.write(clear + 1);
    lzw.finish()
}

/// Largest LZW code width in GIF.
const MAX_CODE_SIZE: u8 = 12;
/// Number of LZW codes in a full table.
const MAX_CODES: u16 = 1 << MAX_CODE_SIZE;
/// Slots of the LZW hash table (a power of two, 4 × the codes).
const LZW_SLOTS: usize = 1 << 14;
const EMPTY: u32 = u32::MAX;
/// Length of `weezl`'s short successor lists, see [`Lzw::insert`].
const WEEZL_SHORT: u8 = 16;

/// The LZW dictionary and the LSB-first bit writer.
struct Lzw {
    min_size: u8,
    /// Current code width.
    size: u8,
    /// Next code to assign.
    next: u16,
    /// `(prefix << 8 | byte) << 12 | code`, or [`EMPTY`].
    table: Vec<u32>,
    /// Continuations of each code added so far (saturating).
    kids: Vec<u8>,
    bits: u64,
    nbits: u32,
    out: Vec<u8>,
}

impl Lzw {
    fn new(min_size: u8, out: Vec<u8>) -> Self {
        let mut lzw = Self {
            min_size,
            size: min_size + 1,
            next: (1 << min_size) + 2,
            table: vec![EMPTY; LZW_SLOTS],
            kids: vec![0; usize::from(MAX_CODES)],
            bits: 0,
            nbits: 0,
            out,
        };
        lzw.write(1 << min_size);
        lzw
    }

    fn restart(&mut self) {
        self.size = self.min_size + 1;
        self.next = (1 << self.min_size) + 2;
        self.table.fill(EMPTY);
        self.kids.fill(0);
    }

    #[inline]
    fn slot(key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> (32 - LZW_SLOTS.trailing_zeros())) as usize
    }

    #[inline]
    fn find(&self, prefix: u16, byte: u8) -> Option<u16> {
        let key = (u32::from(prefix) << 8) | u32::from(byte);
        let mut at = Self::slot(key);
        loop {
            let e = self.table[at];
            if e == EMPTY {
                return None;
            }
            if e >> 12 == key {
                return Some((e & 0xfff) as u16);
            }
            at = (at + 1) & (LZW_SLOTS - 1);
        }
    }

    /// Records `(prefix, byte) → code`, except for the 17th continuation of
    /// a prefix, which `weezl` (0.1) leaves out of its table: its short
    /// successor list holds 16 entries and, when a 17th arrives, it moves
    /// them to a full table without the newcomer. The code is still
    /// assigned, and the stream stays valid (a decoder adds the entry; the
    /// encoder just never uses it). Doing the same keeps the bytes those of
    /// the `gif` crate. Returns whether the entry was recorded.
    fn insert(&mut self, prefix: u16, byte: u8, code: u16) -> bool {
        let kids = &mut self.kids[usize::from(prefix)];
        *kids = kids.saturating_add(1);
        if *kids == WEEZL_SHORT + 1 {
            return false;
        }
        let key = (u32::from(prefix) << 8) | u32::from(byte);
        let mut at = Self::slot(key);
        while self.table[at] != EMPTY {
            at = (at + 1) & (LZW_SLOTS - 1);
        }
        self.table[at] = (key << 12) | u32::from(code);
        true
    }

    #[inline]
    fn write(&mut self, code: u16) {
        self.bits |= u64::from(code) << self.nbits;
        self.nbits += u32::from(self.size);
        while self.nbits >= 8 {
            self.out.push(self.bits as u8);
            self.bits >>= 8;
            self.nbits -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.nbits > 0 {
            self.out.push(self.bits as u8);
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use gif::Frame;

    use super::super::gif_frames::TRANSPARENT;
    use super::*;

    /// The reference: the `gif` crate's own (`weezl`) compression.
    fn weezl(data: &[u8]) -> Vec<u8> {
        let mut f = Frame {
            width: 1,
            height: data.len() as u16,
            buffer: Cow::Owned(data.to_vec()),
            ..Frame::default()
        };
        f.make_lzw_pre_encoded();
        f.buffer.into_owned()
    }

    #[test]
    fn lzw_matches_the_gif_crate_byte_for_byte() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            vec![255; 1],
            vec![255; 100_000],
            vec![3; 70_000],
            (0..=255).collect(),
        ];
        for _ in 0..40 {
            // Runs of the transparent index between bursts of colours from
            // alphabets of several sizes (minimum code sizes 2 to 8), long
            // enough to fill the table several times.
            let alphabet = [2u8, 4, 16, 100, 255][rng.random_range(0..5)];
            let len = rng.random_range(1..60_000);
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                if rng.random_bool(0.5) {
                    let n = rng.random_range(1..3000);
                    v.extend(std::iter::repeat_n(TRANSPARENT, n));
                } else {
                    let n = rng.random_range(1..200);
                    let run = rng.random_range(1..6);
                    for _ in 0..n {
                        let c = rng.random_range(0..alphabet);
                        v.extend(std::iter::repeat_n(c, run));
                    }
                }
            }
            v.truncate(len);
            if alphabet < 255 && rng.random_bool(0.5) {
                // no transparent index at all: a smaller code size
                v.iter_mut()
                    .for_each(|x| *x = if *x == TRANSPARENT { 0 } else { *x });
            }
            cases.push(v);
        }
        // Pairs (one of two bytes, then any of many): the two prefixes get
        // more than 16 continuations that recur, where `weezl` leaves one
        // out of its table (see `Lzw::insert`).
        for width in [64u8, 200] {
            for _ in 0..4 {
                let len = rng.random_range(20_000..60_000);
                cases.push(
                    (0..len)
                        .map(|i| {
                            if i % 2 == 0 {
                                rng.random_range(0..2)
                            } else {
                                rng.random_range(0..width)
                            }
                        })
                        .collect(),
                );
            }
        }
        // The frames of the committed journey.gif.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/journey.gif");
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let file = std::fs::File::open(path).expect("assets/journey.gif");
        let mut dec = opts.read_info(file).expect("a GIF");
        let before = cases.len();
        while let Some(f) = dec.read_next_frame().expect("a frame") {
            cases.push(f.buffer.to_vec());
        }
        assert!(cases.len() - before > 100);
        for (k, v) in cases.iter().enumerate() {
            for run_byte in [TRANSPARENT, 0, 3] {
                assert_eq!(
                    lzw_encode(v, run_byte),
                    weezl(v),
                    "case {k}, run byte {run_byte}"
                );
            }
        }
    }
}
