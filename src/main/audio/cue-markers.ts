/**
 * Named markers in a WAV file: a `cue ` chunk (one point per marker, at a sample) and a
 * `LIST`/`adtl` chunk with a `labl` per point naming it. REAPER, Logic, Pro Tools, Audition and
 * Sound Forge show these as markers on import, so a song's sections arrive labelled in the DAW.
 */
export interface CueMarker {
  /** Sample offset from the start of the file. */
  sample: number;
  label: string;
}

const POINT = 24;

/** The two chunks to insert (insertWavChunks pads odd sizes). */
export function encodeCueMarkers(markers: CueMarker[]): { id: string; data: Uint8Array }[] {
  const cue = Buffer.alloc(4 + markers.length * POINT);
  cue.writeUInt32LE(markers.length, 0);
  markers.forEach((marker, i) => {
    if (!Number.isInteger(marker.sample) || marker.sample < 0 || marker.sample > 0xffffffff) {
      throw new RangeError(`Marker "${marker.label}" is not at a whole sample (${marker.sample}).`);
    }
    const at = 4 + i * POINT;
    cue.writeUInt32LE(i + 1, at); // point id, referenced by its label
    cue.writeUInt32LE(marker.sample, at + 4); // play order position
    cue.write('data', at + 8, 'latin1');
    cue.writeUInt32LE(0, at + 12); // chunk start
    cue.writeUInt32LE(0, at + 16); // block start
    cue.writeUInt32LE(marker.sample, at + 20); // sample offset
  });
  const labels = markers.map((marker, i) => {
    const text = Buffer.from(`${marker.label}\0`, 'utf8');
    const body = Buffer.alloc(4 + text.length + ((4 + text.length) & 1));
    body.writeUInt32LE(i + 1, 0);
    text.copy(body, 4);
    const header = Buffer.alloc(8);
    header.write('labl', 0, 'latin1');
    header.writeUInt32LE(4 + text.length, 4);
    return Buffer.concat([header, body]);
  });
  return [
    { id: 'cue ', data: cue },
    { id: 'LIST', data: Buffer.concat([Buffer.from('adtl', 'latin1'), ...labels]) },
  ];
}

/** The markers of a file's `cue ` and `LIST`/`adtl` chunks (as readWavChunks returns them), in file order. */
export function decodeCueMarkers(cue: Uint8Array, list?: Uint8Array): CueMarker[] {
  const c = Buffer.from(cue.buffer, cue.byteOffset, cue.byteLength);
  const labels = new Map<number, string>();
  if (list) {
    const l = Buffer.from(list.buffer, list.byteOffset, list.byteLength);
    if (l.toString('latin1', 0, 4) === 'adtl') {
      for (let at = 4; at + 8 <= l.length;) {
        const id = l.toString('latin1', at, at + 4);
        const size = l.readUInt32LE(at + 4);
        if (id === 'labl' && size >= 4) labels.set(l.readUInt32LE(at + 8), l.toString('utf8', at + 12, at + 8 + size).replace(/\0+$/, ''));
        at += 8 + size + (size & 1);
      }
    }
  }
  const count = Math.min(c.readUInt32LE(0), Math.floor((c.length - 4) / POINT));
  return Array.from({ length: count }, (_, i) => {
    const at = 4 + i * POINT;
    return { sample: c.readUInt32LE(at + 20), label: labels.get(c.readUInt32LE(at)) ?? '' };
  });
}
