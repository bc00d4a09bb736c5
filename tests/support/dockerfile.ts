// A small Dockerfile reader and stage emulator: there is no container engine on these machines,
// so the tests replay the Dockerfile's stages in directories instead. COPY honours .dockerignore
// and --from; RUN runs the command in the stage's directory, except `npm ci`, which is emulated
// (the registry is not reachable and node_modules is already installed): node_modules is linked,
// and the root package's install scripts run unless --ignore-scripts. Only what this project's
// Dockerfile uses is supported; anything else fails loudly.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string;
  /** The image or the stage it starts from. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Parses instructions: comments dropped, `\` continuations joined, keywords upper-cased. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine });
  });

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      const from = match[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => globalArgs[(a ?? b)!] ?? '');
      stages.push({ name: match[2] ?? String(stages.length), from, instructions: [] });
    } else if (!stages.length) {
      if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: only ARG may precede FROM`);
      const [name, value = ''] = instruction.args.split('=');
      globalArgs[name!] = value;
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** Splits an exec-form (JSON array) argument list, or returns undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed as string[];
}

/** Splits `--flag=value` options off the front of COPY / HEALTHCHECK / RUN arguments. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
    if (!match) return { flags, rest };
    flags[match[1]!] = match[2] ?? 'true';
    rest = rest.slice(match[0].length);
  }
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

interface IgnoreRule {
  negate: boolean;
  pattern: RegExp;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function readDockerignore(contextDir: string): IgnoreRule[] {
  const file = path.join(contextDir, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      return { negate, pattern: globToRegExp(glob) };
    });
}

/** Docker's rule: the last matching pattern wins; a pattern matching a directory excludes its contents. */
export function isIgnored(relative: string, rules: IgnoreRule[]): boolean {
  const parts = relative.split('/');
  let ignored = false;
  for (const rule of rules) {
    for (let i = 1; i <= parts.length; i++) {
      if (rule.pattern.test(parts.slice(0, i).join('/'))) {
        ignored = !rule.negate;
        break;
      }
    }
  }
  return ignored;
}

function copyFromContext(contextDir: string, source: string, destination: string, rules: IgnoreRule[]): void {
  const from = path.join(contextDir, source);
  const relative = path.relative(contextDir, from).split(path.sep).join('/');
  if (!existsSync(from) || isIgnored(relative, rules)) throw new Error(`COPY ${source}: not in the build context (missing or .dockerignore'd)`);
  if (statSync(from).isDirectory()) {
    mkdirSync(destination, { recursive: true });
    for (const entry of readdirSync(from)) {
      const child = path.posix.join(relative, entry);
      if (!isIgnored(child, rules)) copyFromContext(contextDir, child, path.join(destination, entry), rules);
    }
  } else {
    mkdirSync(path.dirname(destination), { recursive: true });
    cpSync(from, destination);
  }
}

// ---------------------------------------------------------------------------------------------
// Emulation

export interface EmulatedStage {
  name: string;
  /** The directory standing for the stage's WORKDIR. */
  dir: string;
  env: Record<string, string>;
  user: string | undefined;
  cmd: string[] | undefined;
  healthcheck: string[] | undefined;
  expose: string[];
  /** Every RUN command, as written. */
  runs: string[];
}

export interface EmulationOptions {
  contextDir: string;
  /** Scratch directory; one sub-directory per stage. */
  workDir: string;
  /** The installed node_modules that stands in for `npm ci`. */
  nodeModules: string;
  /** Stop after this stage. */
  target?: string;
  /** Environment for RUN commands (PATH, …). */
  env?: Record<string, string | undefined>;
}

/** Replays the stages up to `target` (default: the last) and returns them by name. */
export function emulateBuild(dockerfile: Dockerfile, options: EmulationOptions): Map<string, EmulatedStage> {
  const rules = readDockerignore(options.contextDir);
  const built = new Map<string, EmulatedStage>();
  for (const stage of dockerfile.stages) {
    const dir = path.join(options.workDir, stage.name);
    rmSync(dir, { recursive: true, force: true });
    const parent = built.get(stage.from);
    if (parent) cpSync(parent.dir, dir, { recursive: true, verbatimSymlinks: true });
    else mkdirSync(dir, { recursive: true });
    const state: EmulatedStage = parent
      ? { ...parent, name: stage.name, dir, env: { ...parent.env }, runs: [...parent.runs], expose: [...parent.expose] }
      : { name: stage.name, dir, env: {}, user: undefined, cmd: undefined, healthcheck: undefined, expose: [], runs: [] };
    let workdir: string | undefined = parent ? '/app' : undefined;

    for (const { keyword, args, line } of stage.instructions) {
      const where = `${stage.name}, line ${line}`;
      switch (keyword) {
        case 'WORKDIR':
          if (args !== '/app') throw new Error(`${where}: the emulation supports WORKDIR /app only`);
          workdir = args;
          break;
        case 'ENV':
          for (const match of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) state.env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
          break;
        case 'COPY': {
          if (!workdir) throw new Error(`${where}: COPY before WORKDIR`);
          const { flags, rest } = splitFlags(args);
          const parts = execForm(rest) ?? rest.split(/\s+/);
          const destination = parts.pop()!;
          const target = path.join(dir, destination.replace(/^\/app\/?/, ''));
          for (const source of parts) {
            if (flags.from) {
              const other = built.get(flags.from);
              if (!other) throw new Error(`${where}: COPY --from=${flags.from}: no such stage`);
              const from = path.join(other.dir, source.replace(/^\/app\/?/, ''));
              cpSync(from, parts.length > 1 || destination.endsWith('/') ? path.join(target, path.basename(source)) : target, {
                recursive: true,
                verbatimSymlinks: true,
              });
            } else {
              copyFromContext(options.contextDir, source, parts.length > 1 || destination.endsWith('/') ? path.join(target, path.basename(source)) : target, rules);
            }
          }
          break;
        }
        case 'RUN': {
          state.runs.push(args);
          const env = { ...options.env, ...state.env, NODE_ENV: state.env.NODE_ENV ?? options.env?.NODE_ENV };
          for (const command of args.split('&&').map((c) => c.trim())) {
            if (/^npm ci\b/.test(command)) {
              symlinkSync(options.nodeModules, path.join(dir, 'node_modules'), 'dir');
              if (!/--ignore-scripts\b/.test(command)) {
                for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) run('npm', ['run', '--if-present', script], dir, env, where);
              }
            } else {
              run('sh', ['-c', command], dir, env, where);
            }
          }
          break;
        }
        case 'USER':
          state.user = args;
          break;
        case 'CMD':
          state.cmd = execForm(args);
          if (!state.cmd) throw new Error(`${where}: CMD must use the exec form`);
          break;
        case 'HEALTHCHECK': {
          const { rest } = splitFlags(args);
          const cmd = /^CMD\s+(.*)$/s.exec(rest);
          state.healthcheck = cmd ? execForm(cmd[1]!) : undefined;
          if (!state.healthcheck) throw new Error(`${where}: HEALTHCHECK CMD must use the exec form`);
          break;
        }
        case 'EXPOSE':
          state.expose.push(...args.split(/\s+/));
          break;
        case 'ARG':
        case 'LABEL':
          break;
        default:
          throw new Error(`${where}: ${keyword} is not supported by the emulation`);
      }
    }
    built.set(stage.name, state);
    if (stage.name === options.target) break;
  }
  return built;
}

/** Runs a step; on failure the error carries its output (tsc reports on stdout). */
function run(command: string, args: string[], cwd: string, env: Record<string, string | undefined>, where: string): void {
  try {
    execFileSync(command, args, { cwd, env, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    const output = `${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`.split('\n').filter((l) => !/^npm warn/.test(l)).join('\n');
    throw new Error(`${where}: ${command} ${args.join(' ')} failed:\n${output}`, { cause: error });
  }
}

/** Every file under `dir`, relative, sorted (symlinks not followed). */
export function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
    })
    .sort();
}
