// Helpers for server-side printing (Table): ages as kubectl shows them, and the generic columns.
import type { Column, KObject, TablePrinter } from './types.js';

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function age(ts: string | undefined, now: Date): string {
  if (!ts) return '<unknown>';
  return humanDuration(now.getTime() - Date.parse(ts));
}

export const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
};
export const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

/** NAME, the given columns, AGE, then wide columns. */
export function printer(
  cols: Array<Column & { cell: (o: KObject, now: Date) => unknown }>,
  wide: Array<Column & { cell: (o: KObject, now: Date) => unknown }> = [],
): TablePrinter {
  return {
    columns: [nameColumn, ...cols.map(strip), ageColumn, ...wide.map((c) => ({ ...strip(c), priority: 1 }))],
    cells: (o, now) => [
      o.metadata.name,
      ...cols.map((c) => c.cell(o, now)),
      age(o.metadata.creationTimestamp, now),
      ...wide.map((c) => c.cell(o, now)),
    ],
  };
}

function strip(c: Column & { cell: unknown }): Column {
  const { cell: _cell, ...rest } = c;
  return { format: '', description: '', priority: 0, ...rest };
}

/** Kinds without a printer: Name + Created At, as kube-apiserver's default table convertor. */
export const defaultPrinter: TablePrinter = {
  columns: [
    nameColumn,
    {
      name: 'Created At',
      type: 'date',
      format: '',
      description:
        'CreationTimestamp is a timestamp representing the server time when this object was created.',
      priority: 0,
    },
  ],
  cells: (o) => [o.metadata.name, o.metadata.creationTimestamp],
};

export const str = (name: string, cell: (o: KObject, now: Date) => unknown, description = '') => ({
  name,
  type: 'string' as const,
  description,
  cell,
});

/** `a,b,c` joined, or `<none>`. */
export const listOrNone = (xs: unknown[] | undefined) => (xs && xs.length ? xs.join(',') : '<none>');
