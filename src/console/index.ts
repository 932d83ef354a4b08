export { createConsoleHandler, type ConsoleHandler, type ConsoleOptions } from './console-handler';
export { startConsole, type ConsoleServer, type ConsoleServerOptions } from './console-server';
