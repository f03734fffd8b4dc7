import Papa from 'papaparse';

/** What names a figure or table outside the app: its title, data set, the config it shows, and whether the data are made up. */
export interface FigureMeta {
  title: string;
  dataSet: string;
  configId: string;
  simulated: boolean;
  /** What the figures are measured on, e.g. "test split, 848 queries". */
  measuredOn: string;
}

/**
 * A CSV that carries its provenance: `#` comment lines (title, data set, config, what it is measured
 * on, and a SIMULATED line for made-up data; pandas reads past them with `comment='#'`), then the table.
 */
export function figureCsv(meta: FigureMeta, header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const comments = [
    `# ${meta.title}`,
    `# data set: ${meta.dataSet}`,
    `# config: ${meta.configId}`,
    `# measured on: ${meta.measuredOn}`,
    ...(meta.simulated ? ['# SIMULATED data: made up for the demo, not measurements'] : []),
  ];
  const table = Papa.unparse({ fields: [...header], data: rows.map((r) => r.map((v) => v ?? '')) }, { newline: '\n' });
  return `${comments.join('\n')}\n${table}\n`;
}
