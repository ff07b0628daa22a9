import pino, { type Logger } from 'pino';

/** Structured logs on stderr: stdout is the protocol channel in stdio mode. */
export const createLogger = (level = process.env.APEX_LOG_LEVEL ?? 'info'): Logger =>
  pino({ name: 'apex', level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
