import 'reflect-metadata';
import { AppModule } from './app.module';

/**
 * The application as a worker host boots it: `npx spine worker --nest examples/nest-app/worker.module.ts#WorkerModule`
 * serves its workflows with Nest's injection, on the database in APP_DATABASE (a SQLite file or a
 * postgres:// URL; the application's default file otherwise).
 */
export const WorkerModule = AppModule.register({ ...(process.env.APP_DATABASE !== undefined && { database: process.env.APP_DATABASE }) });
