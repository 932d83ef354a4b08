import { inject } from 'inversify';
import { ErrorCategory, Pipeline, StepError, type PipelineHandler, type PipelineParams } from 'spine-orchestration';
import { CALENDAR_YEARS, EXCHANGE_CALENDARS } from './exchange-calendar.data';
import { MarketRepository } from './market.repository';

/** Copies one exchange's shipped calendar (holidays, early closes) into md_calendar_day. */
@Pipeline('market.sync_calendar', { description: "Sync one exchange's holidays and early closes" })
export class SyncCalendarPipeline implements PipelineHandler {
  constructor(@inject(MarketRepository) private readonly repository: MarketRepository) {}

  async run(params: PipelineParams) {
    const mic = String(params.exchange);
    const calendar = EXCHANGE_CALENDARS[mic];
    if (calendar === undefined) {
      throw new StepError(`no calendar ships for exchange "${mic}"; known: ${Object.keys(EXCHANGE_CALENDARS).join(', ')}`, ErrorCategory.VALIDATION);
    }
    await this.repository.replaceCalendar(mic, calendar.entries);
    const count = (kind: string): number => calendar.entries.filter((e) => e.kind === kind).length;
    return { output: { exchange: mic, name: calendar.name, years: [...CALENDAR_YEARS], holidays: count('holiday'), earlyCloses: count('early_close') } };
  }
}
