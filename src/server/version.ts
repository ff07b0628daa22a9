/** The server's name and version, as `initialize` and `apex --version` report them. */
export const SERVER_NAME = 'apex';
export const SERVER_VERSION = '0.1.0';
