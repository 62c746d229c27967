/**
 * A small T5-style tokenizer (SentencePiece Unigram + Metaspace, `</s>` appended) in the
 * `tokenizer.json` format of the Hub, with a vocabulary of prompt words and single characters so
 * any text tokenizes without <unk> for ASCII.
 */
const WORDS = `a an and the with of in on for to from by at into over slow fast warm cold bright dark soft hard
lo fi lofi hip hop jazz rock pop funk soul blues house techno trance ambient classical orchestral
cinematic epic chill chillwave synth synthwave electronic acoustic folk country reggae metal punk
piano guitar bass drums drum kick snare hihat hat cymbal strings violin cello viola brass horn
trumpet sax saxophone flute clarinet organ pad pads lead arp arpeggio choir vocal vocals voice
beat beats groove rhythm melody harmony chord chords loop loops track song tune music sound
vinyl crackle tape hiss reverb delay echo distortion filter sidechain swing shuffle
bpm tempo key major minor happy sad dreamy moody energetic calm relaxing uplifting dark heavy
light deep smooth gritty dusty lush sparse minimal driving 80s 90s 70s retro modern vintage
intro outro verse chorus bridge drop build break solo riff`;

const SPECIALS = ['<pad>', '</s>', '<unk>'];
const CHARS = Array.from({ length: 126 - 33 + 1 }, (_, i) => String.fromCharCode(33 + i));

export function buildVocab(): [string, number][] {
  const words = [...new Set(WORDS.split(/\s+/).filter(Boolean))];
  const vocab: [string, number][] = SPECIALS.map((s) => [s, 0]);
  vocab.push(['▁', -3]);
  words.forEach((word, i) => vocab.push([`▁${word}`, -6 - i / 1000]));
  CHARS.forEach((ch, i) => vocab.push([`▁${ch}`, -11 - i / 1000]));
  CHARS.forEach((ch, i) => vocab.push([ch, -10 - i / 1000]));
  return vocab;
}

export function tokenizerJson(vocab: [string, number][]): object {
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(special),
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
    },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, metaspace] },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
}

export function tokenizerConfigJson(maxLength: number): object {
  return {
    tokenizer_class: 'T5Tokenizer',
    model_max_length: maxLength,
    pad_token: '<pad>',
    eos_token: '</s>',
    unk_token: '<unk>',
    extra_ids: 0,
    additional_special_tokens: [],
    clean_up_tokenization_spaces: true,
  };
}
