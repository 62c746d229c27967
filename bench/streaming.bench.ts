/**
 * `npm run bench:streaming`: what the streaming preview costs. For each preset, the same take
 * (guidance 3, top-k 250, seed 1) is generated alternately without and with `onAudio`, and the
 * bench reports the time from calling generate() to the first chunk (the model already loaded),
 * the total time of both, and the overhead. Targets: first chunk ≤ 3 s and overhead ≤ 5 % on
 * musicgen-small dimensions. Writes bench/streaming-results.json.
 *   --models a,b   presets (default tiny; `small` is generated once, ~1.7 GB)
 *   --seconds N    audio per take (default 10)
 *   --runs N       alternating pairs (default 3; the medians are reported)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureModel, median, option } from './bench-setup';
import { MusicgenEngine, STREAM_DEFAULTS, type GenerateRequest } from '../src/main/engine';

const presets = option('--models')?.split(',') ?? ['tiny'];
const seconds = Number(option('--seconds') ?? 10);
const runs = Number(option('--runs') ?? 3);

interface PresetResult {
  preset: string;
  seconds: number;
  runs: number;
  firstChunkMs: number;
  plainMs: number;
  streamingMs: number;
  overheadPercent: number;
  /** CPU time of the process (all threads), steadier than wall time on a shared machine. */
  plainCpuMs: number;
  streamingCpuMs: number;
  cpuOverheadPercent: number;
  chunkDecodeMs: number;
  chunks: number;
  stream: typeof STREAM_DEFAULTS;
}

const results: PresetResult[] = [];
for (const preset of presets) {
  const engine = await MusicgenEngine.load(ensureModel(preset), { device: 'cpu' });
  const frames = Math.round(seconds * (engine.spec.sampleRate / engine.spec.hopLength));
  const request: GenerateRequest = {
    prompts: ['lofi hip hop beat with warm piano'],
    maxNewTokens: frames + engine.spec.codebooks - 1,
    guidanceScale: 3,
    sampling: { topK: 250 },
    seed: 1,
  };
  await engine.generate({ ...request, maxNewTokens: 20 + engine.spec.codebooks }, { onAudio: () => undefined });
  const plain: number[] = [];
  const streaming: number[] = [];
  const first: number[] = [];
  const decode: number[] = [];
  const plainCpu: number[] = [];
  const streamingCpu: number[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let chunks = 0;
  for (let run = 0; run < runs; run++) {
    let started = performance.now();
    let cpu = cpuMs();
    await engine.generate(request);
    plain.push(performance.now() - started);
    plainCpu.push(cpuMs() - cpu);
    let firstAt = 0;
    chunks = 0;
    started = performance.now();
    cpu = cpuMs();
    const result = await engine.generate(request, {
      onAudio: () => {
        if (chunks++ === 0) firstAt = performance.now() - started;
      },
    });
    streaming.push(performance.now() - started);
    streamingCpu.push(cpuMs() - cpu);
    first.push(firstAt);
    decode.push(result.timings.streamMs ?? 0);
  }
  await engine.dispose();
  const plainMs = median(plain);
  const streamingMs = median(streaming);
  const [pc, sc] = [median(plainCpu), median(streamingCpu)];
  const row: PresetResult = {
    preset,
    seconds,
    runs,
    firstChunkMs: Math.round(median(first)),
    plainMs: Math.round(plainMs),
    streamingMs: Math.round(streamingMs),
    overheadPercent: Math.round(((streamingMs - plainMs) / plainMs) * 1000) / 10,
    plainCpuMs: Math.round(pc),
    streamingCpuMs: Math.round(sc),
    cpuOverheadPercent: Math.round(((sc - pc) / pc) * 1000) / 10,
    chunkDecodeMs: Math.round(median(decode)),
    chunks,
    stream: STREAM_DEFAULTS,
  };
  results.push(row);
  console.log(
    `${preset.padEnd(6)} ${seconds} s: first chunk ${row.firstChunkMs} ms; total ${row.plainMs} ms plain, ${row.streamingMs} ms streaming ` +
      `(${row.overheadPercent >= 0 ? '+' : ''}${row.overheadPercent} %; CPU ${row.plainCpuMs} → ${row.streamingCpuMs} ms, ` +
      `${row.cpuOverheadPercent >= 0 ? '+' : ''}${row.cpuOverheadPercent} %; chunk decodes ${row.chunkDecodeMs} ms in ${row.chunks} chunks)`,
  );
}
writeFileSync(
  join(import.meta.dirname, 'streaming-results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, results }, null, 2)}\n`,
);
