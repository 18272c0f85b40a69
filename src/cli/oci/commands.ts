// The command table of corral-oci: names, options and help only. Each verb's code is in its own
// file, imported when that verb runs, so a command loads just what it needs.
import type { ArgumentSpec, Options, Values } from './args.js';
import type { Context } from './context.js';

export type Action = (ctx: Context, f: Values, args: string[]) => Promise<void>;

export interface CommandSpec {
  name: string;
  alias?: string;
  description: string;
  args: ArgumentSpec[];
  options: Options;
  /** Options end at the first argument (the id): what follows is the process's (exec, ps). */
  passThrough?: boolean;
  /** The verb does not use the Runtime (so it is not preloaded). */
  noRuntime?: boolean;
  load: () => Promise<{ run: Action }>;
}

const ID: ArgumentSpec = { name: 'id', help: 'container id', required: true };

const CREATE_OPTIONS: Options = {
  bundle: { short: 'b', value: 'dir', help: 'path to the bundle directory', default: '.' },
  'pid-file': { value: 'file', help: 'write the container process PID to this file' },
  'console-socket': { value: 'path', help: 'AF_UNIX socket that receives the pty master (process.terminal)' },
  'no-pivot': { help: 'use MS_MOVE + chroot instead of pivot_root (rootfs on a ramdisk)' },
  'no-new-keyring': { help: 'accepted for runc compatibility; Corral does not create session keyrings' },
  'preserve-fds': { value: 'n', help: 'pass this many extra fds (3..3+n-1) to the container', default: '0' },
};

const FORMAT = { short: 'f', value: 'fmt', help: 'table or json', default: 'table' };

export const GLOBAL_OPTIONS: Options = {
  root: { value: 'dir', help: 'state directory', default: '/run/corral-oci' },
  log: { value: 'file', help: 'write logs (and errors) to this file' },
  'log-format': { value: 'fmt', help: 'text or json', default: 'text' },
  debug: { help: 'log debug messages' },
  'systemd-cgroup': { help: 'not supported: Corral uses cgroupfs (the flag is an error)' },
  'cgroup-root': { value: 'path', help: "Corral's cgroup root (relative cgroupsPath go below it)" },
  rootless: { value: 'bool', help: 'accepted for runc compatibility; ignored' },
  criu: { value: 'path', help: 'accepted for runc compatibility; ignored' },
  version: { short: 'v', help: 'output the version number' },
  help: { short: 'h', help: 'display help for command' },
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'create',
    description: 'create a container (its process waits for `start`)',
    args: [ID],
    options: CREATE_OPTIONS,
    load: () => import('./create.js'),
  },
  {
    name: 'start',
    description: 'start the process of a created container',
    args: [ID],
    options: {},
    load: () => import('./start.js'),
  },
  {
    name: 'state',
    description: 'print the state of a container (OCI state JSON)',
    args: [ID],
    options: {},
    load: () => import('./state.js'),
  },
  {
    name: 'kill',
    description: 'send a signal (default SIGTERM) to the container process',
    args: [ID, { name: 'signal', help: 'signal name (KILL, SIGKILL) or number', default: 'SIGTERM' }],
    options: { all: { short: 'a', help: 'send it to every process of the container' } },
    load: () => import('./kill.js'),
  },
  {
    name: 'delete',
    description: 'delete a stopped container (--force: kill it first)',
    args: [ID],
    options: {
      force: { short: 'f', help: 'kill a running container first; no error when it does not exist' },
    },
    load: () => import('./delete.js'),
  },
  {
    name: 'run',
    description: 'create and start a container; without --detach wait for it and exit with its status',
    args: [ID],
    options: {
      ...CREATE_OPTIONS,
      detach: { short: 'd', help: 'return after the start, leave the container running' },
    },
    load: () => import('./run.js'),
  },
  {
    name: 'exec',
    description: 'run a process in a running container (joins all its namespaces and its cgroup)',
    args: [ID, { name: 'command', help: 'command and arguments', variadic: true }],
    passThrough: true,
    options: {
      process: {
        short: 'p',
        value: 'file',
        help: 'process.json (the OCI process object) instead of COMMAND',
      },
      tty: { short: 't', help: 'allocate a pseudo-TTY (needs --console-socket with --detach)' },
      detach: { short: 'd', help: 'do not wait for the process' },
      'pid-file': { value: 'file', help: 'write the process PID to this file' },
      'console-socket': { value: 'path', help: 'AF_UNIX socket that receives the pty master' },
      env: { short: 'e', value: 'K=V', multiple: true, help: 'set an environment variable (repeatable)' },
      cwd: { value: 'dir', help: 'working directory inside the container' },
      user: { short: 'u', value: 'uid[:gid]', help: 'user (numeric) to run as' },
      'additional-gids': {
        short: 'g',
        value: 'gid',
        multiple: true,
        help: 'supplementary group (repeatable)',
      },
      cap: { short: 'c', value: 'cap', multiple: true, help: 'add a capability (repeatable)' },
      'no-new-privs': { help: 'set no_new_privs' },
      'preserve-fds': { value: 'n', help: 'pass this many extra fds to the process', default: '0' },
    },
    load: () => import('./exec.js'),
  },
  {
    name: 'ps',
    description: "list the container's processes",
    args: [ID, { name: 'psArgs', help: 'options for ps(1) (default -ef)', variadic: true }],
    passThrough: true,
    options: { format: FORMAT },
    load: () => import('./ps.js'),
  },
  {
    name: 'list',
    alias: 'ls',
    description: 'list containers',
    args: [],
    options: { format: FORMAT, quiet: { short: 'q', help: 'print only the ids' } },
    load: () => import('./list.js'),
  },
  {
    name: 'pause',
    description: 'freeze every process of the container',
    args: [ID],
    options: {},
    load: () => import('./pause.js'),
  },
  {
    name: 'resume',
    description: 'thaw a paused container',
    args: [ID],
    options: {},
    load: () => import('./resume.js'),
  },
  {
    name: 'update',
    description: "change a running container's resource limits",
    args: [ID],
    options: {
      resources: { short: 'r', value: 'file', help: 'linux.resources JSON file, - for stdin' },
      memory: { value: 'size', help: 'memory limit' },
      'memory-swap': { value: 'size', help: 'memory+swap limit' },
      'memory-reservation': { value: 'size', help: 'memory soft limit' },
      'cpu-quota': { value: 'us', help: 'CFS quota per period (-1: none)' },
      'cpu-period': { value: 'us', help: 'CFS period' },
      'cpu-shares': { value: 'n', help: 'CPU shares (relative weight)' },
      'cpuset-cpus': { value: 'list', help: 'CPUs to use (0-3,5)' },
      'cpuset-mems': { value: 'list', help: 'memory nodes to use' },
      'pids-limit': { value: 'n', help: 'maximum number of processes (-1: none)' },
    },
    load: () => import('./update.js'),
  },
  {
    name: 'features',
    description: 'print the features of this runtime (JSON)',
    args: [],
    options: {},
    noRuntime: true,
    load: () => import('./features.js'),
  },
  {
    name: 'spec',
    description: 'write a default config.json into the bundle directory',
    args: [],
    options: {
      bundle: { short: 'b', value: 'dir', help: 'bundle directory', default: '.' },
      rootless: { help: 'map container root to the calling user in a user namespace' },
    },
    noRuntime: true,
    load: () => import('./spec.js'),
  },
];
