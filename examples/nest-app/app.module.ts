import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { SpineModule } from 'spine-orchestration/nest';
import { DEFAULT_SQLITE_FILE, postgresOptions, sqliteOptions, withSpineSchema } from 'spine-orchestration/typeorm';
import { FINRA_SCHEMA } from '../finra-otc/finra.module';
import { FinraNestModule } from './finra-nest.module';
import { RunsController } from './runs.controller';

/**
 * The application: TypeORM's DataSource (spine's tables and the FINRA tables in one database: a
 * SQLite file, or PostgreSQL when `database` is a postgres:// URL —`npm i pg`;
 * the FINRA entities come from the feature module's `TypeOrmModule.forFeature` through
 * `autoLoadEntities`, spine's from `withSpineSchema`), Spine on that DataSource, the FINRA feature
 * module, and the runs API.
 */
@Module({})
export class AppModule {
  static register(options: { readonly database?: string; readonly shutdownTimeoutMs?: number } = {}): DynamicModule {
    const where = options.database ?? DEFAULT_SQLITE_FILE;
    const database: DataSourceOptions = withSpineSchema({
      ...(/^postgres(ql)?:\/\//.test(where) ? postgresOptions(where) : sqliteOptions(where)),
      migrations: [...FINRA_SCHEMA.migrations],
    } as DataSourceOptions);
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...database, autoLoadEntities: true, migrationsRun: true }),
        SpineModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({ database: dataSource, shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000 }),
        }),
        FinraNestModule,
      ],
      controllers: [RunsController],
    };
  }
}
