import { Injectable, Logger } from '@nestjs/common';

/** A plain Nest service: formats and "sends" the weekly report (here: the Nest logger, and a list kept for the API). */
@Injectable()
export class WeeklyReportService {
  private readonly logger = new Logger('FINRA');
  readonly sent: string[] = [];

  send(tier: string, week: string, top: readonly { symbol: string; totalShares: number }[]): string {
    const message = `${tier} week ${week}: top ${top.map((t) => `${t.symbol} ${(t.totalShares / 1e6).toFixed(1)}M`).join(', ')}`;
    this.sent.push(message);
    this.logger.log(message);
    return message;
  }
}
