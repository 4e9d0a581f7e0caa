// Regression sweeps: change-point detection, epochs and alert matching (pure).
export { classifyDirection, defaultDetectOptions, detectChangePoints, type ChangeDirection, type ChangeKind, type ChangePoint, type DetectOptions, type Detection } from './detect.ts';
export { byEpochKey, detectChangePointsByEpoch, splitEpochs, type Epoch, type EpochBoundary, type EpochDetection } from './epochs.ts';
export {
  alertKey,
  isReadyToConfirm,
  mergeAlerts,
  toDetectedRanges,
  transitionAlert,
  type Alert,
  type AlertEvent,
  type AlertEvidence,
  type AlertMerge,
  type AlertMergeInput,
  type AlertState,
  type DetectedRange,
  type RangeChange,
} from './alerts.ts';
export { renderSweepHtml } from './report-html.ts';
export { formatAlertSubject, formatLkpCompareRow, formatLkpTable, formatLkpValue, formatMetricPath, formatPValue, pickAlertChange, renderSweepText, type AlertChange, type LkpSide, type SweepTextOptions } from './report-text.ts';
