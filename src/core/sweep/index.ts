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
