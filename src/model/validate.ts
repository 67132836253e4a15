import { METRIC_NAME, type Labels } from './labels.ts';
import { isLabelNameValid, isMetricNameValid, type NameValidationScheme } from './names.ts';

export interface LabelLimits {
  maxLabelNamesPerSeries: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
}

export const DEFAULT_LABEL_LIMITS: LabelLimits = {
  maxLabelNamesPerSeries: 64,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 4096,
};

/**
 * Checks one series' labels (already sorted by name) by the given name scheme (Prometheus 3's
 * default, utf8, unless told otherwise). Returns null when valid, otherwise a reason a person can
 * act on. Reasons carry a short machine `kind` for rejection counters.
 */
export function validateLabels(
  ls: Labels, limits: LabelLimits = DEFAULT_LABEL_LIMITS, scheme: NameValidationScheme = 'utf8',
): LabelError | null {
  if (ls.length === 0) return { kind: 'empty_labels', message: 'series has no labels' };
  const n = ls.length >> 1;
  if (n > limits.maxLabelNamesPerSeries) {
    return { kind: 'too_many_labels', message: `series has ${n} labels, more than the limit of ${limits.maxLabelNamesPerSeries}` };
  }
  let hasName = false;
  for (let i = 0; i < ls.length; i += 2) {
    const name = ls[i];
    const value = ls[i + 1];
    if (i > 0 && ls[i - 2] === name) {
      return { kind: 'duplicate_label_name', message: `duplicate label name ${JSON.stringify(name)}` };
    }
    if (name === METRIC_NAME) {
      hasName = true;
      if (!isMetricNameValid(value, scheme)) {
        return { kind: 'invalid_metric_name', message: `invalid metric name ${JSON.stringify(value)}` };
      }
    } else if (!isLabelNameValid(name, scheme)) {
      return { kind: 'invalid_label_name', message: `invalid label name ${JSON.stringify(name)}` };
    }
    if (value === '') {
      return { kind: 'empty_label_value', message: `label ${JSON.stringify(name)} has an empty value` };
    }
    if (name.length > limits.maxLabelNameLength) {
      return { kind: 'label_name_too_long', message: `label name ${JSON.stringify(name.slice(0, 64))}... is longer than ${limits.maxLabelNameLength} characters` };
    }
    if (value.length > limits.maxLabelValueLength) {
      return { kind: 'label_value_too_long', message: `value of label ${JSON.stringify(name)} is ${value.length} characters, longer than ${limits.maxLabelValueLength}` };
    }
  }
  if (!hasName) return { kind: 'missing_metric_name', message: 'series has no __name__ label' };
  return null;
}

export interface LabelError {
  kind: string;
  message: string;
}
