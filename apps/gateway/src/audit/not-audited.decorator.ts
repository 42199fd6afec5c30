import { SetMetadata } from '@nestjs/common';

export const NOT_AUDITED_KEY = 'ruleflow:not-audited';

/**
 * Opts a write route out of the audit log. Every POST/PUT/PATCH/DELETE is audited by default, so a
 * new route is never forgotten; only data-plane routes whose own record is the log (event ingestion)
 * or that change nothing (dry runs) opt out.
 */
export const NotAudited = () => SetMetadata(NOT_AUDITED_KEY, true);
