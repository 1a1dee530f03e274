//! Interned pattern words (part of stage 4, matches).
//!
//! Every word literal of every pattern gets a word id and every prefix
//! (`извин*`) a prefix id. A draft's word tokens are looked up once each
//! ([`VocabTable::resolve`]): the ids then find the phrases anchored on the token
//! and let verification compare integers instead of strings. A token that
//! is no pattern's word has no id and matches no word element.

use std::borrow::Cow;
use std::collections::HashMap;

use foldhash::fast::FixedState;
use zerocopy::FromBytes;

use crate::segment::{Token, TokenKind};

/// The id of a token that is no pattern's word.
pub const NO_WORD: u32 = u32::MAX;

/// How many leading characters key the prefix buckets: a prefix of this
/// many characters or more is filed under its first `PREFIX_KEY_CHARS`
/// characters and checked in full; a shorter one (rare: `эт*`) is on a
/// short list tried against every word.
const PREFIX_KEY_CHARS: usize = 3;

/// The words and prefixes of a rule book's patterns, as they are interned
/// while the book compiles. Lookups run on its [`Vocab::freeze`]d form.
#[derive(Debug, Default, Clone)]
pub struct Vocab {
    words: HashMap<Box<[u8]>, u32, FixedState>,
    prefixes: Vec<Box<[u8]>>,
    prefix_ids: HashMap<Box<[u8]>, u32, FixedState>,
}

impl Vocab {
    /// The id of a word literal, adding it if new.
    pub fn word(&mut self, w: &str) -> u32 {
        // Looked up first: most calls are for a word already in (each
        // pattern's words recur across the packs), and inserting would
        // allocate the key every time.
        if let Some(&id) = self.words.get(w.as_bytes()) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.insert(w.as_bytes().into(), id);
        id
    }

    /// The id of a prefix literal, adding it if new.
    pub fn prefix(&mut self, p: &str) -> u32 {
        if let Some(&id) = self.prefix_ids.get(p.as_bytes()) {
            return id;
        }
        let id = self.prefixes.len() as u32;
        self.prefix_ids.insert(p.as_bytes().into(), id);
        self.prefixes.push(p.as_bytes().into());
        id
    }

    /// Number of distinct word literals.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Number of distinct prefix literals.
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// The lookup table of these words and prefixes (ids unchanged).
    pub fn freeze(&self) -> VocabTable {
        let mut words: Vec<(&[u8], u32)> = self.words.iter().map(|(w, &id)| (&**w, id)).collect();
        words.sort_unstable_by_key(|&(_, id)| id);
        let words: Vec<&[u8]> = words.into_iter().map(|(w, _)| w).collect();
        let prefixes: Vec<&[u8]> = self.prefixes.iter().map(|p| &**p).collect();
        // Prefix ids by key (their first characters), and the short ones.
        let mut keyed: Vec<(&[u8], u32)> = Vec::new();
        let mut short: Vec<u32> = Vec::new();
        for (id, p) in prefixes.iter().enumerate() {
            match key_end(p) {
                Some(end) => keyed.push((&p[..end], id as u32)),
                None => short.push(id as u32),
            }
        }
        keyed.sort_unstable();
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut key_start: Vec<u32> = Vec::new();
        for (i, &(k, _)) in keyed.iter().enumerate() {
            if keys.last() != Some(&k) {
                keys.push(k);
                key_start.push(i as u32);
            }
        }
        key_start.push(keyed.len() as u32);
        let word_slots = slots(&words);
        let key_slots = slots(&keys);
        let sizes = [
            words.len() + prefixes.len() + keys.len() + 1,
            word_slots.len(),
            key_slots.len(),
            key_start.len(),
            keyed.len(),
            short.len(),
            // Each word's prefixes: filled in below, from this table.
            0,
            0,
        ];
        let mut nums: Vec<u32> = vec![MAGIC, 0];
        nums.extend(sizes.iter().map(|&n| n as u32));
        nums.extend([words.len() as u32, prefixes.len() as u32]);
        let mut end = 0u32;
        nums.push(0);
        for item in words.iter().chain(&prefixes).chain(&keys) {
            end += item.len() as u32;
            nums.push(end);
        }
        nums.extend(word_slots);
        nums.extend(key_slots);
        nums.extend(key_start);
        nums.extend(keyed.iter().map(|&(_, id)| id));
        nums.extend(short);
        nums[1] = nums.len() as u32;
        let text: Vec<u8> = words
            .iter()
            .chain(&prefixes)
            .chain(&keys)
            .flat_map(|w| w.iter().copied())
            .collect();
        let Some(table) = VocabTable::read(Cow::Owned(nums), Cow::Owned(text)) else {
            return VocabTable::default();
        };
        if prefixes.is_empty() {
            // A table of names: no word has prefixes to store.
            return table;
        }
        // The prefixes each word starts with, in the order the key lookup
        // finds them: a token that is a word then needs no key lookup.
        let mut word_prefix_start = vec![0u32];
        let mut word_prefixes = Vec::new();
        for w in &words {
            table.for_each_prefix_of(w, |p| word_prefixes.push(p));
            word_prefix_start.push(word_prefixes.len() as u32);
        }
        let (mut nums, text) = (table.nums.into_owned(), table.text);
        nums[WORD_PREFIX_SIZES] = word_prefix_start.len() as u32;
        nums[WORD_PREFIX_SIZES + 1] = word_prefixes.len() as u32;
        nums.extend(word_prefix_start);
        nums.extend(word_prefixes);
        nums[1] = nums.len() as u32;
        VocabTable::read(Cow::Owned(nums), text).unwrap_or_default()
    }
}

/// First number of a stored table: also tells a table written with the
/// other byte order.
const MAGIC: u32 = 0x6170_6F77;

/// How many numbers head a table: the magic, the count of numbers, the
/// eight section sizes, the word and prefix counts.
const HEADER: usize = 12;

/// Where in the header the sizes of the last two sections (each word's
/// prefixes: starts, then ids) are: [`Vocab::freeze`] fills them last.
const WORD_PREFIX_SIZES: usize = 2 + 6;

/// Numbers per slot: the item's fingerprint (low half, high half), its
/// index + 1 (0: an empty slot) and its length.
const SLOT: usize = 4;

/// The open-addressing slots of `items` ([`SLOT`] numbers each). At most a
/// quarter of the slots are used, so a miss (half the words of a draft)
/// ends after ~1.4 probes.
fn slots(items: &[&[u8]]) -> Vec<u32> {
    let n = (items.len() * 4).next_power_of_two().max(2);
    let mut table = vec![0u32; SLOT * n];
    for (i, item) in items.iter().enumerate() {
        let fp = fingerprint(item);
        let mut s = position(fp, item.len()) as usize & (n - 1);
        while table[SLOT * s + 2] != 0 {
            s = (s + 1) & (n - 1);
        }
        table[SLOT * s..SLOT * s + SLOT].copy_from_slice(&[
            fp as u32,
            (fp >> 32) as u32,
            i as u32 + 1,
            item.len() as u32,
        ]);
    }
    table
}

/// A word's fingerprint. Up to 8 bytes it is the bytes themselves as a
/// little-endian number, zero-padded ([`padded`]), a different one for
/// each word of a length, so that a lookup that finds the fingerprint and
/// the length has found the word without comparing text (most tokens are
/// that short); longer, a hash of them. Written out (not a hasher crate's)
/// because the table is built by `build.rs` and read by the binary, which
/// must agree on it whatever the platforms.
#[inline(always)]
fn fingerprint(bytes: &[u8]) -> u64 {
    match bytes.len() {
        0..=8 => padded(bytes),
        _ => hash(bytes),
    }
}

/// Where a fingerprint's search starts (before the mask).
#[inline(always)]
fn position(fp: u64, len: usize) -> u64 {
    fold(fp ^ len as u64, 0x9E37_79B9_7F4A_7C15)
}

/// A 128-bit product's halves, folded.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// The hash of a word longer than 8 bytes: folded multiplies over 8-byte
/// chunks.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = K ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = fold(h ^ chunk(c), K);
    }
    fold(h ^ tail(chunks.remainder()), 0x2D35_8DCC_AA6C_78A5)
}

/// An 8-byte chunk as a number.
#[inline]
fn chunk(c: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&c[..8]);
    u64::from_le_bytes(w)
}

/// Up to 7 bytes as a number, without a copy loop: two overlapping reads
/// of 4 bytes, or three single bytes. Different bytes of one length give
/// different numbers (the length itself is hashed apart). Cheaper than
/// [`padded`] (its shifts are constants), for where only that matters:
/// the hash of a longer word's last bytes, and comparing two of them (the
/// fingerprints with `padded` there cost 1.4 M more instructions in a
/// 1 MB check, issue #19).
#[inline]
fn tail(t: &[u8]) -> u64 {
    let four = |at: usize| u64::from(u32::from_le_bytes([t[at], t[at + 1], t[at + 2], t[at + 3]]));
    match t.len() {
        0 => 0,
        1..=3 => u64::from(t[0]) | u64::from(t[t.len() / 2]) << 8 | u64::from(t[t.len() - 1]) << 16,
        n => four(0) | four(n - 4) << 32,
    }
}

/// Up to 8 bytes as the little-endian number they are, zero-padded,
/// without a copy loop: two overlapping reads of 4 bytes, or three single
/// bytes, each shifted to where it stands (a byte read twice is the same
/// byte). The number an 8-byte read at a word's start gives once masked
/// to its length, which is how [`VocabTable::resolve_into`] gets it.
#[inline(always)]
fn padded(t: &[u8]) -> u64 {
    let n = t.len();
    let four = |at: usize| u64::from(u32::from_le_bytes([t[at], t[at + 1], t[at + 2], t[at + 3]]));
    match n {
        0 => 0,
        1..=3 => {
            let mid = n / 2;
            u64::from(t[0]) | u64::from(t[mid]) << (8 * mid) | u64::from(t[n - 1]) << (8 * (n - 1))
        }
        _ => four(0) | four(n - 4) << (8 * (n - 4)),
    }
}

/// The mask that keeps the first `len` bytes (1 to 8) of a little-endian
/// number.
#[inline(always)]
fn low_bytes(len: usize) -> u64 {
    u64::MAX >> (64 - 8 * len)
}

/// `a == b`, inlined for words (a call to `bcmp` cost more than the
/// comparison).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if chunk(p) != chunk(q) {
            return false;
        }
    }
    tail(x.remainder()) == tail(y.remainder())
}

/// A vocabulary's lookup form: the words, prefixes and prefix keys with
/// their hash slots, as a run of numbers and a run of text. The built-in
/// one is read in place from the binary ([`VocabTable::from_static`]):
/// start-up builds no map and allocates nothing for it (issue #19).
#[derive(Debug, Clone, Default)]
pub struct VocabTable {
    nums: Cow<'static, [u32]>,
    text: Cow<'static, [u8]>,
    words: usize,
    prefixes: usize,
    /// Where each section starts in `nums`.
    ends: usize,
    word_slots: std::ops::Range<usize>,
    key_slots: std::ops::Range<usize>,
    key_start: usize,
    keyed: usize,
    /// Number of prefix keys.
    keys: usize,
    short: std::ops::Range<usize>,
    /// Per word id `w` (and one past the last), where its prefixes start
    /// in `word_prefixes`: a range of `nums`, empty in a table with no
    /// prefixes.
    word_prefix_start: std::ops::Range<usize>,
    /// Each word's prefix ids, word after word: a range of `nums`.
    word_prefixes: std::ops::Range<usize>,
}

/// One hash table of a [`VocabTable`] (its words, or its prefix keys),
/// with what a lookup needs of it worked out once: a line's words are
/// looked up in one of these, not with the ranges re-read per token.
#[derive(Clone, Copy)]
struct SlotTable<'t> {
    table: &'t [u32],
    /// Slots less one (a power of two less one).
    mask: usize,
    /// The first item of the table's kind (words are items `0..`).
    first: usize,
    /// How many items it has: a slot naming a later one lies.
    count: usize,
}

impl SlotTable<'_> {
    /// The index of `key`, whose [`fingerprint`] is `fp`, among the
    /// table's items.
    #[inline(always)]
    fn find(&self, vocab: &VocabTable, key: &[u8], fp: u64) -> Option<usize> {
        let (lo, hi, len) = (fp as u32, (fp >> 32) as u32, key.len() as u32);
        let mut s = position(fp, key.len()) as usize & self.mask;
        // A quarter of the slots are used, so an empty one comes soon; the
        // bound only stops a table that lies from looping.
        for _ in 0..=self.mask {
            let &[slot_lo, slot_hi, item, slot_len] = self
                .table
                .get(SLOT * s..SLOT * s + SLOT)
                .and_then(|slot| <&[u32; SLOT]>::try_from(slot).ok())?;
            if item == 0 {
                return None;
            }
            let item = item as usize;
            if item > self.count {
                // Only a table that lies: its answer stays in range.
                return None;
            }
            if slot_lo == lo
                && slot_hi == hi
                && slot_len == len
                && (len <= 8
                    || same(
                        vocab.item(&vocab.nums, &vocab.text, self.first + item - 1),
                        key,
                    ))
            {
                return Some(item - 1);
            }
            s = (s + 1) & self.mask;
        }
        None
    }
}

/// Each word's prefixes as a [`VocabTable`] stores them, with the ranges
/// read once per line rather than per token.
#[derive(Clone, Copy)]
struct StoredPrefixes<'t> {
    /// Per word id (and one past the last), where its prefixes start in
    /// `lists`; empty in a table with no prefixes.
    starts: &'t [u32],
    lists: Option<&'t [u32]>,
}

impl<'t> StoredPrefixes<'t> {
    /// The prefixes word `word` starts with, as [`VocabTable::for_each_prefix`]
    /// gives them, stored when the table was made; `None` for [`NO_WORD`],
    /// an id past the words or a table without them stored (the caller
    /// then looks them up by key). Looking a word's prefixes up by its key
    /// was 10% of a 1 MB check, and most tokens are words of the patterns.
    #[inline(always)]
    fn of(&self, word: u32) -> Option<&'t [u32]> {
        let w = word as usize;
        let (&from, &to) = (self.starts.get(w)?, self.starts.get(w.wrapping_add(1))?);
        self.lists?.get(from as usize..to as usize)
    }
}

impl VocabTable {
    /// The table of a list of words (ids in first-seen order): a set of
    /// words to look tokens up in, such as the known given names.
    pub fn of_words<'w>(words: impl IntoIterator<Item = &'w str>) -> VocabTable {
        let mut vocab = Vocab::default();
        for w in words {
            vocab.word(w);
        }
        vocab.freeze()
    }

    /// Reads a table in place from `bytes` (what [`VocabTable::to_bytes`]
    /// gave, 4-byte aligned); `None` if they are not one.
    pub fn from_static(bytes: &'static [u8]) -> Option<VocabTable> {
        let head = <[u32]>::ref_from_bytes(bytes.get(..8)?).ok()?;
        if head[0] != MAGIC {
            return None;
        }
        let split = 4 * head[1] as usize;
        let nums = <[u32]>::ref_from_bytes(bytes.get(..split)?).ok()?;
        VocabTable::read(Cow::Borrowed(nums), Cow::Borrowed(bytes.get(split..)?))
    }

    /// The table as bytes, for `build.rs` to store (native byte order,
    /// checked by [`VocabTable::from_static`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.nums.iter().flat_map(|n| n.to_ne_bytes()).collect();
        out.extend_from_slice(&self.text);
        out
    }

    /// Checks a table's shape: its sections fit its numbers and its last
    /// item ends where its text does.
    fn read(nums: Cow<'static, [u32]>, text: Cow<'static, [u8]>) -> Option<VocabTable> {
        let head = nums.get(..HEADER)?;
        if head[0] != MAGIC || head[1] as usize != nums.len() {
            return None;
        }
        let size = |i: usize| head[2 + i] as usize;
        let (words, prefixes) = (head[HEADER - 2] as usize, head[HEADER - 1] as usize);
        let ends = HEADER;
        let word_slots = ends + size(0)..ends + size(0) + size(1);
        let key_slots = word_slots.end..word_slots.end + size(2);
        let key_start = key_slots.end;
        let keyed = key_start + size(3);
        let keys = size(3).saturating_sub(1);
        let short = keyed + size(4)..keyed + size(4) + size(5);
        let word_prefix_start = short.end..short.end + size(6);
        let word_prefixes = word_prefix_start.end..word_prefix_start.end + size(7);
        let items = size(0).checked_sub(1)?;
        let (word_len, key_len) = (word_slots.len() / SLOT, key_slots.len() / SLOT);
        let valid = word_prefixes.end == nums.len()
            && word_slots.len() % SLOT == 0
            && key_slots.len() % SLOT == 0
            && size(6).checked_sub(1).is_none_or(|n| n == words)
            && word_len.is_power_of_two()
            && key_len.is_power_of_two()
            && words + prefixes <= items
            && size(4) + size(5) == prefixes
            && nums[ends + items] as usize == text.len();
        // Only the shape is checked (the built-in tables are checked
        // whole by tests, and checking 20,000 slots at every start was
        // 0.35M instructions): lookups read the sections with `get`, so
        // a table that lies answers wrongly but never panics or loops.
        valid.then_some(VocabTable {
            nums,
            text,
            words,
            prefixes,
            ends,
            word_slots,
            key_slots,
            key_start,
            keyed,
            keys,
            short,
            word_prefix_start,
            word_prefixes,
        })
    }

    /// Item `i` (words, then prefixes, then keys).
    #[inline]
    fn item<'t>(&self, nums: &[u32], text: &'t [u8], i: usize) -> &'t [u8] {
        match (nums.get(self.ends + i), nums.get(self.ends + i + 1)) {
            (Some(&s), Some(&e)) => text.get(s as usize..e as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The index of `key` among the items from `first`, by `slots`.
    #[inline(always)]
    fn find(
        &self,
        key: &[u8],
        slots: &std::ops::Range<usize>,
        first: usize,
        count: usize,
    ) -> Option<usize> {
        self.slot_table(slots, first, count)?
            .find(self, key, fingerprint(key))
    }

    /// The slots of `slots` as a [`SlotTable`] of the items from `first`
    /// (`count` of them); `None` for a table with no slots.
    #[inline(always)]
    fn slot_table(
        &self,
        slots: &std::ops::Range<usize>,
        first: usize,
        count: usize,
    ) -> Option<SlotTable<'_>> {
        let table = self.nums.get(slots.clone())?;
        let mask = (table.len() / SLOT).checked_sub(1)?;
        Some(SlotTable {
            table,
            mask,
            first,
            count,
        })
    }

    /// Number of distinct word literals.
    pub fn word_count(&self) -> usize {
        self.words
    }

    /// Number of distinct prefix literals.
    pub fn prefix_count(&self) -> usize {
        self.prefixes
    }

    /// Every word literal with its id.
    pub fn words(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        (0..self.words).filter_map(|i| {
            let w = self.item(&self.nums, &self.text, i);
            Some((std::str::from_utf8(w).ok()?, i as u32))
        })
    }

    /// The text of prefix `id`.
    pub fn prefix_text(&self, id: u32) -> &str {
        let p = self.item(&self.nums, &self.text, self.words + id as usize);
        std::str::from_utf8(p).unwrap_or("")
    }

    /// The word id of a word token's text ([`NO_WORD`] if none).
    #[inline]
    pub fn word_id(&self, text: &str) -> u32 {
        self.find(text.as_bytes(), &self.word_slots, 0, self.words)
            .map_or(NO_WORD, |i| i as u32)
    }

    /// Calls `f` with every prefix id whose prefix starts `text`.
    #[inline]
    pub fn for_each_prefix(&self, text: &str, f: impl FnMut(u32)) {
        self.for_each_prefix_of(text.as_bytes(), f)
    }

    /// [`VocabTable::for_each_prefix`] over bytes.
    #[inline]
    fn for_each_prefix_of(&self, text: &[u8], mut f: impl FnMut(u32)) {
        let (nums, letters) = (&*self.nums, &*self.text);
        let prefix = |id: u32| self.item(nums, letters, self.words + id as usize);
        for &id in &nums[self.short.clone()] {
            if text.starts_with(prefix(id)) {
                f(id);
            }
        }
        let Some(end) = key_end(text) else { return };
        let first = self.words + self.prefixes;
        let Some(key) = self.find(&text[..end], &self.key_slots, first, self.keys) else {
            return;
        };
        let (Some(&from), Some(&to)) = (
            nums.get(self.key_start + key),
            nums.get(self.key_start + key + 1),
        ) else {
            return;
        };
        let keyed = nums.get(self.keyed + from as usize..self.keyed + to as usize);
        for &id in keyed.unwrap_or(&[]) {
            if text.starts_with(prefix(id)) {
                f(id);
            }
        }
    }

    /// The prefixes word `word` starts with, as [`VocabTable::for_each_prefix`]
    /// gives them (see [`StoredPrefixes::of`]).
    #[cfg(test)]
    fn prefixes_of_word(&self, word: u32) -> Option<&[u32]> {
        self.stored_prefixes().of(word)
    }

    /// Each word's prefixes, as stored when the table was made.
    #[inline(always)]
    fn stored_prefixes(&self) -> StoredPrefixes<'_> {
        let nums = &*self.nums;
        StoredPrefixes {
            starts: nums.get(self.word_prefix_start.clone()).unwrap_or(&[]),
            lists: nums.get(self.word_prefixes.clone()),
        }
    }

    /// The ids of a line's tokens.
    pub fn resolve(&self, norm: &str, tokens: &[Token]) -> TokenIds {
        let mut ids = TokenIds::default();
        self.resolve_into(norm, tokens, &mut ids);
        ids
    }

    /// The ids of a line's tokens, into `ids` (its buffers reused).
    pub fn resolve_into(&self, norm: &str, tokens: &[Token], ids: &mut TokenIds) {
        ids.words.clear();
        ids.prefix_start.clear();
        ids.prefixes.clear();
        ids.words.reserve(tokens.len());
        ids.prefix_start.reserve(tokens.len() + 1);
        ids.prefix_start.push(0);
        // Tokens are sliced as bytes: a `str` slice checks both ends for a
        // character boundary, and the lookups compare bytes anyway.
        let bytes = norm.as_bytes();
        // Worked out once per line, not per token: the word slots, and
        // each word's stored prefixes (empty in a table without them).
        let words = self.slot_table(&self.word_slots, 0, self.words);
        let stored = self.stored_prefixes();
        for t in tokens {
            let word = if t.kind == TokenKind::Word {
                let (start, end) = (t.start as usize, t.end as usize);
                let text = bytes.get(start..end).unwrap_or(&[]);
                // A word of up to 8 bytes with 8 bytes of text from its
                // start is fingerprinted by one read, masked to its length
                // (most tokens: their bytes one by one were a fifth of
                // looking a token up, issue #19).
                let fp = match bytes.get(start..start + 8) {
                    Some(&[b0, b1, b2, b3, b4, b5, b6, b7]) if (1..=8).contains(&text.len()) => {
                        u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]) & low_bytes(text.len())
                    }
                    _ => fingerprint(text),
                };
                let word = words
                    .and_then(|w| w.find(self, text, fp))
                    .map_or(NO_WORD, |i| i as u32);
                match stored.of(word) {
                    // Most words have none or one or two: pushed one by
                    // one, not copied with a call to `memcpy` each.
                    Some(known) => {
                        for &p in known {
                            ids.prefixes.push(p);
                        }
                    }
                    None => self.for_each_prefix_of(text, |p| ids.prefixes.push(p)),
                }
                word
            } else {
                NO_WORD
            };
            ids.words.push(word);
            ids.prefix_start.push(ids.prefixes.len() as u32);
        }
    }
}

/// The byte length of the first [`PREFIX_KEY_CHARS`] characters of `text`,
/// if it has that many.
#[inline]
fn key_end(text: &[u8]) -> Option<usize> {
    // Character starts are the bytes that are not UTF-8 continuations.
    let mut starts = text
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b & 0xC0 != 0x80)
        .map(|(i, _)| i);
    let _ = starts.nth(PREFIX_KEY_CHARS - 1)?;
    Some(starts.next().unwrap_or(text.len()))
}

/// The ids of one line's tokens, by token index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenIds {
    /// Word id of each token ([`NO_WORD`] for punctuation and unknown words).
    pub words: Vec<u32>,
    /// Token `i`'s prefix ids are `prefixes[prefix_start[i]..prefix_start[i + 1]]`.
    pub prefix_start: Vec<u32>,
    /// Prefix ids, token after token.
    pub prefixes: Vec<u32>,
}

impl TokenIds {
    /// The prefix ids of token `i`.
    #[inline]
    pub fn prefixes_of(&self, i: usize) -> &[u32] {
        &self.prefixes[self.prefix_start[i] as usize..self.prefix_start[i + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Line;

    #[test]
    fn words_and_prefixes_resolve_per_token() {
        let mut v = Vocab::default();
        let sorry = v.word("извините");
        let izv = v.prefix("извин");
        let iz = v.prefix("из");
        let i = v.prefix("и");
        let long = v.prefix("извинения");
        assert_eq!(v.word("извините"), sorry, "interned once");
        assert_eq!(v.prefix("извин"), izv);
        let norm = "извините, из извинений и изба";
        let line = Line::tokenize(norm, 0, norm.len());
        let ids = v.freeze().resolve(norm, &line.tokens);
        let texts: Vec<&str> = line.tokens.iter().map(|t| t.text(norm)).collect();
        assert_eq!(texts, ["извините", ",", "из", "извинений", "и", "изба"]);
        assert_eq!(ids.words[0], sorry);
        assert!(ids.words[1..].iter().all(|&w| w == NO_WORD));
        let mut p0 = ids.prefixes_of(0).to_vec();
        p0.sort_unstable();
        assert_eq!(p0, {
            let mut e = vec![i, iz, izv];
            e.sort_unstable();
            e
        });
        assert!(ids.prefixes_of(1).is_empty(), "punctuation has none");
        assert_eq!(ids.prefixes_of(2).len(), 2, "из: и, из");
        assert!(
            !ids.prefixes_of(3).contains(&long),
            "извинений ≠ извинения*"
        );
        assert_eq!(ids.prefixes_of(4), [i]);
        assert_eq!(ids.prefixes_of(5).len(), 2, "изба: и, из");
    }

    /// `padded` is the word's bytes as a little-endian number, zero-padded:
    /// what the 8-byte read `resolve_into` fingerprints most words with
    /// gives once masked, so the table `build.rs` stores finds them.
    #[test]
    fn padded_is_the_bytes_zero_padded_and_the_masked_read_agrees() {
        let bytes: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
        for len in 0..=8 {
            let word = &bytes[..len];
            let mut eight = [0u8; 8];
            eight[..len].copy_from_slice(word);
            assert_eq!(padded(word), u64::from_le_bytes(eight), "length {len}");
            if len > 0 {
                let read = u64::from_le_bytes(<[u8; 8]>::try_from(&bytes[..8]).unwrap());
                assert_eq!(read & low_bytes(len), padded(word), "length {len}");
            }
        }
    }

    /// Every word of a table is found whether its token is fingerprinted
    /// by the 8-byte read (text follows it) or byte by byte (it ends the
    /// text), and a longer or shorter neighbour of it is not taken for it.
    #[test]
    fn words_resolve_alike_mid_text_and_at_its_end() {
        let words = [
            "a",
            "мы",
            "you",
            "жаль",
            "sorry",
            "извини",
            "apology",
            "простите",
            "извините",
            "inconvenience",
            "ё",
            "we'll",
        ];
        let table = VocabTable::of_words(words);
        for (id, w) in words.iter().enumerate() {
            for norm in [format!("{w} tail of the line"), format!("start {w}")] {
                let line = Line::tokenize(&norm, 0, norm.len());
                let ids = table.resolve(&norm, &line.tokens);
                let at = line.tokens.iter().position(|t| t.text(&norm) == *w);
                let at = at.unwrap_or_else(|| panic!("{w} is a token of {norm:?}"));
                assert_eq!(ids.words[at], id as u32, "{w} in {norm:?}");
            }
            // One letter more or less: another word, not this one.
            for other in [format!("{w}x"), w.chars().skip(1).collect::<String>()] {
                if other.is_empty() || words.contains(&other.as_str()) {
                    continue;
                }
                let norm = format!("{other} then more words");
                let line = Line::tokenize(&norm, 0, norm.len());
                assert_eq!(
                    table.resolve(&norm, &line.tokens).words[0],
                    NO_WORD,
                    "{other}"
                );
            }
        }
    }

    /// A token that is a pattern word gets the prefixes stored for that
    /// word, which are those its key lookup finds, in the same order.
    #[test]
    fn a_words_stored_prefixes_are_those_its_key_finds() {
        let mut v = Vocab::default();
        for w in [
            "извините",
            "из",
            "и",
            "изба",
            "we",
            "wee",
            "apologise",
            "éclair",
        ] {
            v.word(w);
        }
        for p in ["извин", "из", "и", "apolog", "éc", "извинени", "we"] {
            v.prefix(p);
        }
        let table = v.freeze();
        for (word, id) in table.words() {
            let mut found = Vec::new();
            table.for_each_prefix(word, |p| found.push(p));
            assert_eq!(table.prefixes_of_word(id), Some(&found[..]), "{word}");
        }
        assert_eq!(table.prefixes_of_word(NO_WORD), None);
        assert_eq!(table.prefixes_of_word(table.word_count() as u32), None);
        let (izba, wee) = (table.word_id("изба"), table.word_id("wee"));
        assert_eq!(
            table.prefixes_of_word(izba).map(<[u32]>::len),
            Some(2),
            "и, из"
        );
        assert_eq!(table.prefixes_of_word(wee), Some(&[v.prefix("we")][..]));
    }

    /// A lookup takes equal fingerprints and lengths for equal words up to
    /// 8 bytes, without comparing text: every byte of such a word must
    /// change its fingerprint.
    #[test]
    fn fingerprints_tell_apart_words_of_up_to_eight_bytes() {
        let base: Vec<u8> = (0..8u8).map(|i| b'a' + i).collect();
        for len in 1..=8 {
            let word = &base[..len];
            for at in 0..len {
                for other in [0u8, b'z', 0x80, 0xD0, 0xFF] {
                    if other == word[at] {
                        continue;
                    }
                    let mut changed = word.to_vec();
                    changed[at] = other;
                    assert_ne!(
                        fingerprint(word),
                        fingerprint(&changed),
                        "length {len}, byte {at} set to {other:#x}"
                    );
                }
            }
        }
        // Looked up: a word and a word of the same length and
        // fingerprint's neighbours are told apart.
        let table = VocabTable::of_words(["sorry", "sorrz", "извини", "a", "b", "ab", "ba"]);
        for (w, id) in [
            ("sorry", 0),
            ("sorrz", 1),
            ("извини", 2),
            ("a", 3),
            ("b", 4),
            ("ab", 5),
            ("ba", 6),
        ] {
            assert_eq!(table.word_id(w), id, "{w}");
        }
        for w in ["sorrx", "извинм", "c", "aa", "bb", "", "sorry!"] {
            assert_eq!(table.word_id(w), NO_WORD, "{w}");
        }
    }

    #[test]
    fn the_table_reads_back_from_its_bytes() {
        let mut v = Vocab::default();
        let words: Vec<u32> = [
            "извините",
            "sorry",
            "ёж",
            "we",
            "a-very-long-word-of-many-chunks",
        ]
        .map(|w| v.word(w))
        .to_vec();
        let prefixes: Vec<u32> = ["извин", "из", "и", "apolog", "éc", "извинени"]
            .map(|p| v.prefix(p))
            .to_vec();
        let table = v.freeze();
        // Stored as `u64`s: the binary keeps the table aligned the same way.
        let stored = table.to_bytes();
        let mut words64 = vec![0u64; stored.len().div_ceil(8)];
        zerocopy::IntoBytes::as_mut_bytes(&mut words64[..])[..stored.len()]
            .copy_from_slice(&stored);
        let all: &'static [u8] =
            zerocopy::IntoBytes::as_bytes(&Box::leak(words64.into_boxed_slice())[..]);
        let bytes = &all[..stored.len()];
        let read = VocabTable::from_static(bytes).expect("reads back");
        assert_eq!((read.word_count(), read.prefix_count()), (5, 6));
        let norm = "извините, из извинений и apologies sorry ёж éclair we a-very-long-word-of-many-chunks wee";
        let line = Line::tokenize(norm, 0, norm.len());
        let ids = read.resolve(norm, &line.tokens);
        assert_eq!(ids, table.resolve(norm, &line.tokens));
        let texts: Vec<&str> = line.tokens.iter().map(|t| t.text(norm)).collect();
        let id_of = |w: &str| ids.words[texts.iter().position(|t| *t == w).unwrap()];
        assert_eq!(id_of("извините"), words[0]);
        assert_eq!(id_of("sorry"), words[1]);
        assert_eq!(id_of("we"), words[3]);
        assert_eq!(id_of("wee"), NO_WORD);
        let mut by_word: Vec<(&str, u32)> = read.words().collect();
        by_word.sort_unstable_by_key(|&(_, id)| id);
        assert_eq!(by_word.iter().map(|&(_, id)| id).collect::<Vec<_>>(), words);
        assert_eq!(read.prefix_text(prefixes[0]), "извин");
        let извинений = texts.iter().position(|t| *t == "извинений").unwrap();
        assert_eq!(
            ids.prefixes_of(извинений),
            [prefixes[1], prefixes[2], prefixes[0], prefixes[5]],
            "short prefixes first, then by key in id order"
        );
        // Anything else is refused, not misread.
        assert!(VocabTable::from_static(&bytes[..bytes.len() - 1]).is_none());
        assert!(VocabTable::from_static(b"").is_none());
        // A table whose slots and key lists lie answers, but never panics
        // or loops.
        let mut lying = table.nums.to_vec();
        for n in &mut lying[table.word_slots.start..] {
            *n = 0xFFFF_FFF0;
        }
        let lying = VocabTable::read(Cow::Owned(lying), table.text.clone()).expect("same shape");
        let _ = lying.resolve(norm, &line.tokens);
        // An empty vocabulary knows no word.
        assert_eq!(Vocab::default().freeze().word_id("we"), NO_WORD);
    }
}
