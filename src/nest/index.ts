/** NestJS integration: `spine-orchestration/nest` (needs @nestjs/common, @nestjs/core and rxjs). */
export { SpineModule } from './spine.module';
export { SpineService } from './spine.service';
export { SPINE_MODULE_OPTIONS, type SpineModuleOptions, type SpineModuleAsyncOptions, type SpineConsoleMount } from './spine-module.options';
export { NestClassProvider } from './nest-class.provider';
export { SpineExceptionFilter, httpStatusOf, httpBodyOf } from './spine-exception.filter';
export { bootNestContext, type NestAppModule, type NestSpineContext } from './nest-context';
