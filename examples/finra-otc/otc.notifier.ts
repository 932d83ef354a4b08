import { inject, injectable } from 'inversify';
import { OtcRepository } from './otc.repository';

/** Sends the weekly summary: into the notification outbox table (a mailer or chat bot reads it). */
@injectable()
export class OtcNotifier {
  constructor(@inject(OtcRepository) private readonly repository: OtcRepository) {}

  async send(weekEnding: string, tier: string, message: string): Promise<void> {
    if (message.length > 1000) throw new Error(`notification for ${tier} ${weekEnding} is ${message.length} characters; the outbox takes 1000`);
    await this.repository.addNotification(weekEnding, tier, message);
  }
}
