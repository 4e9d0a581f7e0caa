// The detail of a sweep's progress line.

// The build's phase and percentage (none while make has not counted its
// objects yet), or which boot of how many.
export function describeStageProgress(p: { stage: string; build?: { phase: string; percent: number | null }; bootIndex?: number; bootsWanted?: number }, boots: number): string {
  if (p.stage === 'build' && p.build) return `${p.build.phase}${p.build.percent === null ? '' : ` ${Math.floor(p.build.percent)}%`}`;
  return p.bootIndex !== undefined ? `${p.bootIndex + 1}/${p.bootsWanted ?? boots}` : '';
}
