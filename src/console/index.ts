export { createConsoleHandler, type ConsoleHandler, type ConsoleOptions } from './console-handler';
export { startConsole, type ConsoleServer, type ConsoleServerOptions } from './console-server';
export { ConsoleSecurity, isLoopback, SESSION_COOKIE, CSRF_HEADER, type Caller } from './console-security';
