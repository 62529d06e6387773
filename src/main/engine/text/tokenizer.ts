/**
 * Word-level tokenizer with byte fallback. Text is cut into pieces (a word or a run of
 * punctuation, each with its leading space, or a run of whitespace); a piece in the
 * vocabulary is one token, any other piece is its UTF-8 bytes, one token each, so every
 * string encodes (unknown characters included) and decodes back to itself. The vocabulary
 * is learned from a corpus and saved with the model (it is part of the model spec).
 */

export const SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>'] as const;
export const PAD = 0;
export const BOS = 1;
export const EOS = 2;
const BYTE_OFFSET = SPECIAL_TOKENS.length;
const FIRST_WORD = BYTE_OFFSET + 256;

const PIECE = / ?[\p{L}\p{N}]+| ?[^\s\p{L}\p{N}]+|\s+/gu;

export interface TokenizerSpec {
  kind: 'words+bytes';
  /** Learned pieces; piece i has id 259 + i (after 3 special and 256 byte tokens). */
  words: string[];
}

export function pieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}

export class Tokenizer {
  private readonly ids: Map<string, number>;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(readonly spec: TokenizerSpec) {
    this.ids = new Map(spec.words.map((w, i) => [w, FIRST_WORD + i]));
  }

  /** The `maxWords` most frequent pieces of the corpus (ties by code point order). */
  static learn(corpus: Iterable<string>, maxWords = Infinity): Tokenizer {
    const counts = new Map<string, number>();
    for (const text of corpus) for (const piece of pieces(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    const words = [...counts.entries()]
      .sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxWords)
      .map(([word]) => word);
    return new Tokenizer({ kind: 'words+bytes', words });
  }

  get vocabularySize(): number {
    return FIRST_WORD + this.spec.words.length;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const piece of pieces(text)) {
      const id = this.ids.get(piece);
      if (id !== undefined) out.push(id);
      else for (const byte of this.encoder.encode(piece)) out.push(BYTE_OFFSET + byte);
    }
    return out;
  }

  /** Text of the tokens; special tokens are dropped, bytes that are not valid UTF-8 become U+FFFD. */
  decode(tokens: readonly number[]): string {
    let text = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) text += this.decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const id of tokens) {
      if (id >= BYTE_OFFSET && id < FIRST_WORD) {
        bytes.push(id - BYTE_OFFSET);
        continue;
      }
      flush();
      if (id >= FIRST_WORD) {
        const word = this.spec.words[id - FIRST_WORD];
        if (word === undefined) throw new RangeError(`token ${id} is outside the vocabulary of ${this.vocabularySize}`);
        text += word;
      }
    }
    flush();
    return text;
  }
}
