import { userInfo } from 'node:os';
import { DriverException } from '@mikro-orm/core';
import { InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../lib/errors.js';
import { type CliContext, openCliContext } from './context.js';

// Shared by the CLI's command files.

export function out(json: boolean, value: Record<string, unknown> | unknown[], text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

export function booleanArg(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('must be true or false');
}

/**
 * Who ran the command, kept with what it changes (`metadata.actor`, the admin audit): `cli:` and the login name.
 * $USER, else $LOGNAME, else the account the process runs as: containers, cron and `docker exec` often set
 * neither variable, and an audit line must still name someone.
 */
export function cliActor(): string {
  const name = process.env.USER || process.env.LOGNAME || accountName();
  return `cli:${name || 'unknown'}`;
}

function accountName(): string {
  try {
    return userInfo().username;
  } catch {
    return ''; // a uid without a passwd entry
  }
}

/**
 * A network as an operator types it: `erc20`, `Trc20` and `TRC20` are one network (networks are named in capitals:
 * TRC20, ERC20, BEP20, POLYGON). Every `--network` option parses with it.
 */
export function networkName(value: string): string {
  return value.trim().toUpperCase();
}

export const modeOption = () => new Option('--mode <mode>', 'live or test').choices(['live', 'test']);

/**
 * Whether the command being run was given `--json` (program.ts sets it before each action): then its failure,
 * too, is one JSON object on stdout.
 */
let jsonOutput = false;
export function setJsonOutput(json: boolean): void {
  jsonOutput = json;
}

export async function withContext(fn: (ctx: CliContext) => Promise<void>): Promise<void> {
  let ctx: CliContext | null = null;
  try {
    ctx = await openCliContext();
    await fn(ctx);
  } catch (err) {
    fail(err as Error);
  } finally {
    await ctx?.close();
  }
}

/**
 * A refused command (an AppError, bad configuration) exits 1, anything else 2. The message goes to stderr; with
 * `--json` stdout also gets the API's error shape, `{"error":{"code","message","param"}}`.
 */
function fail(err: Error): void {
  const refused = err instanceof AppError || err instanceof ConfigError;
  const message = refused ? err.message : internalMessage(err);
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = refused ? 1 : 2;
  if (!jsonOutput) return;
  const code =
    err instanceof AppError ? err.code : err instanceof ConfigError ? 'invalid_config' : 'internal_error';
  const param = err instanceof AppError ? (err.param ?? null) : null;
  printJsonError(code, message, param);
}

/**
 * An unexpected error's words for the operator. The ORM's errors begin with the whole SQL statement and its
 * parameters (`insert into "api_keys" (…) values (…) - <what PostgreSQL said>`): a key's hash, a secret's
 * ciphertext in a terminal's scrollback and CI logs. Of those, only what PostgreSQL said and its SQLSTATE.
 */
function internalMessage(err: Error): string {
  if (!(err instanceof DriverException)) return err.message;
  const cut = err.message.lastIndexOf(' - ');
  const said = cut >= 0 ? err.message.slice(cut + 3) : err.message;
  const state = err.sqlState ?? (typeof err.code === 'string' ? err.code : undefined);
  return `database error${state ? ` ${state}` : ''}: ${said}`;
}

function printJsonError(code: string, message: string, param: string | null): void {
  process.stdout.write(`${JSON.stringify({ error: { code, message, param } })}\n`);
}

/** Commander's usage error (its `error: …` text, already on stderr) as the API's error shape on stdout. */
export function printUsageError(text: string): void {
  printJsonError('invalid_request', text.trim().replace(/^error: /, ''), null);
}
