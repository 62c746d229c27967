/**
 * Prompt tokenization with @huggingface/tokenizers (the library transformers.js uses), plus the
 * two things MusicGen needs around it: right-padding a batch with the pad token, and truncating
 * prompts longer than the text encoder's limit while keeping the special tokens it appends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from './errors';

export interface TokenBatch {
  ids: BigInt64Array;
  mask: BigInt64Array;
  batch: number;
  length: number;
  /** Per prompt: how many tokens were cut to fit the limit (0 when none). */
  truncated: number[];
}

function readJsonFile(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EngineError('tokenizer-invalid', `${path} is missing: the model has no ${what}. Download the model again.`, path);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new EngineError('tokenizer-invalid', `${path} is not valid JSON (${(error as Error).message}). Download the model again.`, path);
  }
}

export class PromptTokenizer {
  readonly maxLength: number;
  private readonly padId: number;

  private constructor(
    private readonly tokenizer: Tokenizer,
    config: Record<string, unknown>,
    path: string,
  ) {
    const limit = Number(config.model_max_length);
    this.maxLength = Number.isInteger(limit) && limit > 0 && limit < 1e6 ? limit : 512;
    const padToken = typeof config.pad_token === 'string' ? config.pad_token : '<pad>';
    const padId = tokenizer.token_to_id(padToken);
    if (padId === undefined) {
      throw new EngineError('tokenizer-invalid', `${path} has no pad token "${padToken}". Download the model again.`, path);
    }
    this.padId = padId;
  }

  static load(dir: string): PromptTokenizer {
    const path = join(dir, 'tokenizer.json');
    const json = readJsonFile(path, 'tokenizer');
    const config = readJsonFile(join(dir, 'tokenizer_config.json'), 'tokenizer config');
    try {
      return new PromptTokenizer(new Tokenizer(json, config), config, path);
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError(
        'tokenizer-invalid',
        `${path} is not a usable tokenizer (${(error as Error).message}). Download the model again.`,
        path,
      );
    }
  }

  /** Token ids of one prompt with special tokens, truncated to `maxLength` if needed. */
  encodeOne(prompt: string): { ids: number[]; truncated: number } {
    const full = this.tokenizer.encode(prompt).ids;
    if (full.length <= this.maxLength) return { ids: full, truncated: 0 };
    // The post-processor adds tokens around the text; keep them and cut the text in between.
    const text = this.tokenizer.encode(prompt, { add_special_tokens: false }).ids;
    const extra = full.length - text.length;
    let prefix = 0;
    while (prefix < extra && full[prefix] !== text[0]) prefix++;
    const suffix = full.slice(prefix + text.length);
    const kept = text.slice(0, this.maxLength - extra);
    return { ids: [...full.slice(0, prefix), ...kept, ...suffix], truncated: text.length - kept.length };
  }

  encodeBatch(prompts: string[]): TokenBatch {
    const encoded = prompts.map((p) => this.encodeOne(p));
    const length = Math.max(1, ...encoded.map((e) => e.ids.length));
    const ids = new BigInt64Array(prompts.length * length).fill(BigInt(this.padId));
    const mask = new BigInt64Array(prompts.length * length);
    encoded.forEach((e, b) => {
      e.ids.forEach((id, t) => {
        ids[b * length + t] = BigInt(id);
        mask[b * length + t] = 1n;
      });
    });
    return { ids, mask, batch: prompts.length, length, truncated: encoded.map((e) => e.truncated) };
  }
}
