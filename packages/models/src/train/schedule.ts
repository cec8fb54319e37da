// Learning-rate schedules, evaluated per step with + − × ÷ only (no Math.cos/exp), so a run's
// learning rates are the same numbers in every JS engine.

export type ScheduleName = "onecycle" | "step" | "constant";
export const SCHEDULES: readonly ScheduleName[] = ["onecycle", "step", "constant"];

export interface ScheduleConfig {
  name: ScheduleName;
  /** onecycle: fraction of all steps spent warming up linearly from 0 (default 0.15). */
  warmupFraction?: number;
  /** step: epochs (may be fractional) after which the rate is multiplied by `gamma`. */
  milestones?: number[];
  gamma?: number;
}

/**
 * The learning rate at `step` (0-based) of `totalSteps`, with `stepsPerEpoch` steps an epoch.
 * - onecycle: linear warm-up to `base`, then linear decay to 0 (a triangular one-cycle policy,
 *   Smith & Topin 2019), robust for short runs;
 * - step: `base · gamma^(milestones passed)`; default milestones at 50% and 75% of the epochs,
 *   gamma 0.1 (He et al. 2016's CIFAR schedule, scaled);
 * - constant.
 */
export function learningRate(
  s: ScheduleConfig,
  base: number,
  step: number,
  totalSteps: number,
  stepsPerEpoch: number,
): number {
  switch (s.name) {
    case "constant":
      return base;
    case "step": {
      const epochs = totalSteps / stepsPerEpoch;
      const milestones = s.milestones ?? [epochs * 0.5, epochs * 0.75];
      const gamma = s.gamma ?? 0.1;
      const epoch = step / stepsPerEpoch;
      let lr = base;
      for (const m of milestones) if (epoch >= m) lr *= gamma;
      return lr;
    }
    case "onecycle": {
      const warm = Math.max(1, Math.floor(totalSteps * (s.warmupFraction ?? 0.15)));
      if (step < warm) return (base * (step + 1)) / warm;
      const rest = Math.max(1, totalSteps - warm);
      return (base * (totalSteps - step)) / rest;
    }
  }
}
