/** The editor's wavesurfer.js plugins and marks, configured once here so the editor keeps to its job. */
import type WaveSurfer from 'wavesurfer.js';
import HoverPlugin from 'wavesurfer.js/dist/plugins/hover.esm.js';
import TimelinePlugin from 'wavesurfer.js/dist/plugins/timeline.esm.js';
import { clock } from './format';
import type { SeamGrade } from './song';

const STEPS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120];

/** Seconds between timeline labels so that they sit about 70 px apart at this width. */
export function timelineStep(widthPx: number, totalSeconds: number): number {
  const pxPerSec = widthPx / Math.max(totalSeconds, 0.01);
  return STEPS.find((s) => s * pxPerSec >= 70) ?? 120;
}

export function timelinePlugin(step: number) {
  return TimelinePlugin.create({
    height: 20,
    timeInterval: step / 5,
    primaryLabelInterval: step,
    secondaryLabelInterval: step,
    style: { color: '#8e919b', fontSize: '11px' },
    formatTimeCallback: (s) => (s >= 60 ? clock(s, 0) : `${Math.round(s * 100) / 100} s`),
  });
}

export function hoverPlugin() {
  return HoverPlugin.create({
    lineColor: 'rgba(243,239,230,0.5)',
    lineWidth: 1,
    labelBackground: '#272a33',
    labelColor: '#e7e6e3',
    labelSize: 11,
    formatTimeCallback: (s) => clock(s, 2),
  });
}

/** The small label on the part of a take that came from its parent. */
export function contextLabel(text: string): HTMLElement {
  const el = document.createElement('div');
  el.textContent = text;
  Object.assign(el.style, {
    position: 'absolute',
    top: '2px',
    left: '0',
    fontSize: '10px',
    color: 'rgba(227, 179, 95, 0.85)',
    padding: '2px 5px',
    letterSpacing: '0.04em',
    pointerEvents: 'none',
    whiteSpace: 'nowrap',
  });
  return el;
}

/** Seam lines through the waveform, in the colours of the seam markers above it. */
export const SEAM_COLORS: Record<SeamGrade | 'none', string> = {
  good: 'rgba(134, 199, 156, 0.75)',
  fair: 'rgba(224, 166, 107, 0.85)',
  bad: 'rgba(224, 122, 127, 0.95)',
  none: 'rgba(163, 166, 176, 0.6)',
};

/** Where the waveform is scrolled and how wide it is drawn, for marks laid over it in the page. */
export function waveView(ws: WaveSurfer): { scroll: number; width: number } {
  return { scroll: ws.getScroll(), width: ws.getWrapper().scrollWidth };
}
