import { CliError } from './cli-error.js';

export type ReportFormat = 'table' | 'json' | 'csv';

export interface ReportOptions {
  readonly store: string;
  readonly at?: string;
  readonly format: ReportFormat;
}

export const reportBalances = async (_options: ReportOptions): Promise<void> => {
  throw new CliError('report balances: not wired yet');
};
