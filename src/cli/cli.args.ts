import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RUN_STATUSES, type RunStatus } from '../core/store/records/run-record';
import { TRIGGER_SOURCES, type TriggerSource } from '../core/schedule/trigger';
import { CliError } from './cli.error';

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Collects repeated `--param` values. */
export const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/**
 * Params from `--params-file` (a JSON object) with `--param` over them. `key=value` gives the
 * string `value` (a workflow's params class converts it); `key:=json` gives a JSON value
 * (`weeks:=6`, `tiers:='["OTC"]'`).
 */
export function parseParams(pairs: readonly string[], file: string | undefined, cwd: string): Record<string, unknown> {
  const params: Record<string, unknown> = file === undefined ? {} : readParamsFile(file, cwd);
  for (const pair of pairs) {
    const typed = /^([^=:]+):=(.*)$/s.exec(pair);
    const plain = /^([^=]+)=(.*)$/s.exec(pair);
    const match = typed ?? plain;
    if (match === null) throw new CliError(`--param "${pair}" is not key=value (or key:=json). Example: --param week_ending=2026-10-23`);
    const key = match[1]!.trim();
    checkKey(key, `--param "${pair}"`);
    if (typed === null) {
      params[key] = match[2]!;
      continue;
    }
    try {
      params[key] = JSON.parse(match[2]!) as unknown;
    } catch {
      throw new CliError(`--param "${pair}": the value after := must be JSON (a number, true/false, "text", [..] or {..}).`);
    }
  }
  return params;
}

function readParamsFile(file: string, cwd: string): Record<string, unknown> {
  const path = resolve(cwd, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new CliError(`--params-file ${path} could not be read as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`--params-file ${path} must hold one JSON object of params, like {"week_ending": "2026-10-23"}.`);
  }
  for (const key of Object.keys(parsed)) checkKey(key, `--params-file ${path}`);
  return { ...(parsed as Record<string, unknown>) };
}

function checkKey(key: string, where: string): void {
  if (key === '' || UNSAFE_KEYS.has(key)) throw new CliError(`${where}: "${key}" cannot be a param name.`);
}

/** `--status failed` or `--status failed,stopped`. */
export function parseStatuses(value: string): RunStatus[] {
  const statuses = value.split(',').map((s) => s.trim());
  const unknown = statuses.filter((s) => !RUN_STATUSES.includes(s as RunStatus));
  if (unknown.length > 0) throw new CliError(`--status ${unknown.join(',')} is not a run status. Use one or more of: ${RUN_STATUSES.join(', ')}.`);
  return statuses as RunStatus[];
}

/** `--trigger`: one of the trigger sources. */
export function parseTrigger(value: string): TriggerSource {
  if (!TRIGGER_SOURCES.includes(value as TriggerSource)) throw new CliError(`--trigger ${value} is not a trigger source. Use one of: ${TRIGGER_SOURCES.join(', ')}.`);
  return value as TriggerSource;
}

/** A whole number within ±`max` (negative allowed): `--priority -5`. */
export function parseInteger(option: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || Math.abs(n) > max) throw new CliError(`${option} must be a whole number from ${-max} to ${max} (got "${value}").`);
    return n;
  };
}

/** An ISO date-time: `--not-before 2026-11-28T18:00:00Z`. */
export function parseDateTime(option: string): (value: string) => Date {
  return (value) => {
    const at = new Date(value);
    if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1970 || at.getUTCFullYear() > 9998) throw new CliError(`${option} must be a date and time such as 2026-11-28T18:00:00Z (got "${value}").`);
    return at;
  };
}

/** A whole number from 1 to `max`. */
export function parsePositiveInt(option: string, max: number): (value: string) => number {
  return (value) => {
    const n = /^\s*\+?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new CliError(`${option} must be a whole number from 1 to ${max} (got "${value}").`);
    return n;
  };
}

const MAX_AGE_DAYS = 36_500;
const UNITS_IN_DAYS: Record<string, number> = { m: 1 / 1440, h: 1 / 24, d: 1, w: 7 };

/** `30d`, `12h`, `2w`, `90m` → days. */
export function parseAge(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([mhdw])$/.exec(value.trim());
  if (match === null) throw new CliError(`--older-than "${value}" is not an age. Use a number and a unit: 90m, 12h, 30d or 2w.`);
  const days = Number(match[1]) * UNITS_IN_DAYS[match[2]!]!;
  if (!(days <= MAX_AGE_DAYS)) throw new CliError(`--older-than "${value}" is over 100 years; give an age up to ${MAX_AGE_DAYS}d.`);
  return days;
}
