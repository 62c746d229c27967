/**
 * A job's progress on stderr: a bar redrawn in place on a terminal, one line per update otherwise
 * (--progress), so logs and tests can read it. Long generations name the window they are in.
 */
import type { Progress } from '../shared/contract';

export type ProgressMode = 'tty' | 'lines' | 'off';

export interface ProgressPrinter {
  update(progress: Progress): void;
  /** Ends the bar's line (a terminal keeps the last state on screen). */
  done(): void;
}

const BAR_WIDTH = 24;

/** The mode for this run: --progress forces lines; otherwise a bar only when stderr is a terminal. */
export function progressMode(lines: boolean | undefined): ProgressMode {
  return lines ? 'lines' : process.stderr.isTTY ? 'tty' : 'off';
}

export function describeProgress(label: string, p: Progress): string {
  const percent = Math.floor((100 * p.step) / p.total);
  const section = p.sections && p.sections > 1 ? `, section ${p.section}/${p.sections}` : '';
  const window = section + (p.windows > 1 ? `, window ${p.window}/${p.windows}` : '');
  const eta = p.step === p.total ? 'done' : `ETA ${Math.ceil(p.etaMs / 1000)} s`;
  return `${label}: step ${p.step}/${p.total} (${percent}%)${window}, ${eta}`;
}

export function progressPrinter(mode: ProgressMode, label: string, stream: NodeJS.WriteStream = process.stderr): ProgressPrinter {
  if (mode === 'off') return { update: () => {}, done: () => {} };
  let last = 0;
  let lastStep = 0;
  let lastWindow = 0;
  let lastSection: number | undefined;
  let drawn = false;
  return {
    update: (p) => {
      // A job publishes other changes too (its result): the same step is not shown twice.
      if (p.step === lastStep && p.window === lastWindow && p.section === lastSection) return;
      const now = Date.now();
      // A terminal redraws often; lines are for reading, so fewer, but never skip a window's start or the end.
      const newWindow = p.window !== lastWindow || p.section !== lastSection;
      if (now - last < (mode === 'tty' ? 100 : 500) && p.step !== p.total && p.step !== 1 && !newWindow) return;
      last = now;
      lastStep = p.step;
      lastWindow = p.window;
      lastSection = p.section;
      const line = describeProgress(label, p);
      if (mode === 'lines') {
        stream.write(`${line}\n`);
        return;
      }
      const filled = Math.round((BAR_WIDTH * p.step) / p.total);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${line}\u001b[K`);
      drawn = true;
    },
    done: () => {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
