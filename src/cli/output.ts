/** What the CLI writes: WAV files (atomically), a progress line, and the --json result. */
import { extname } from 'node:path';
import { encodeWav, type SampleFormat } from '../main/audio';
import { writeFileAtomic } from '../main/atomic-file';
import type { GenerateResult, GeneratedTake, StepProgress } from '../main/engine';

export type { SampleFormat };
export const SAMPLE_FORMATS = ['pcm16', 'pcm24', 'float32'] as const;

/** `out.wav` for one take; `out-1.wav`, `out-2.wav`, … for several. */
export function takePaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = extname(out) || '.wav';
  const base = extname(out) ? out.slice(0, -ext.length) : out;
  return Array.from({ length: count }, (_, i) => `${base}-${i + 1}${ext}`);
}

/** Encodes every take first, then writes them; nothing is written if any encode fails. */
export function writeTakes(takes: GeneratedTake[], out: string, format: SampleFormat): string[] {
  const paths = takePaths(out, takes.length);
  const files = takes.map((take) => encodeWav(take.audio, format));
  files.forEach((bytes, i) => writeFileAtomic(paths[i], bytes));
  return paths;
}

/** A progress line: redrawn in place on a terminal, one line per update otherwise (--progress). */
export function progressPrinter(mode: 'tty' | 'lines' | 'off', label: string): { onProgress: (p: StepProgress) => void; done: () => void } {
  if (mode === 'off') return { onProgress: () => {}, done: () => {} };
  let last = 0;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < (mode === 'tty' ? 100 : 500) && p.step !== p.total && p.step !== 1) return;
      last = now;
      const eta = p.step === p.total ? 'done' : `ETA ${Math.ceil(p.etaMs / 1000)} s`;
      const line = `${label}: step ${p.step}/${p.total} (${Math.floor((100 * p.step) / p.total)}%), ${eta}`;
      process.stderr.write(mode === 'tty' ? `\r${line}   ` : `${line}\n`);
    },
    done: () => {
      if (mode === 'tty') process.stderr.write('\n');
    },
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function timingsJson(result: GenerateResult) {
  const t = result.timings;
  return {
    textEncoderMs: round(t.textEncoderMs),
    decoderMs: round(t.decoderMs),
    decoderRunMs: round(t.decoderRunMs),
    steps: t.steps,
    msPerStep: round(t.steps ? t.decoderMs / t.steps : 0),
    p95StepMs: round(percentile(t.stepMs, 95)),
    codecMs: round(t.codecMs),
    totalMs: round(t.totalMs),
  };
}
