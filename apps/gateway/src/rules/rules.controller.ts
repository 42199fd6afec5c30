import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, ApiPageResponse, StartedRunDto } from '../common/api-docs';
import { NotAudited } from '../audit/not-audited.decorator';
import type { AuthContext } from '../auth/auth-context';
import { Auth } from '../auth/auth-context';
import { RequireScope } from '../auth/scopes';
import { PageQueryDto } from '../common/pagination';
import {
  BACKTEST_MAX_EVENTS,
  BACKTEST_MAX_ITEMS,
  BacktestRuleDto,
  CreateRuleDto,
  ListRulesQueryDto,
  ReorderRulesDto,
  RunRuleDto,
  TestRuleDto,
  UpdateRuleDto,
} from './dto/rule.dto';
import {
  BacktestResultDto,
  CREATE_RULE_EXAMPLE,
  HookUrlDto,
  RuleDto,
  RuleListDto,
  RuleTestResultDto,
  RuleVersionDto,
} from './dto/rule-response.dto';
import { RulesService } from './rules.service';

const NOT_FOUND = "unknown rule, or another tenant's";

@ApiTags('rules')
@ApiKeyAuth()
@Controller('v1/rules')
export class RulesController {
  constructor(private readonly rules: RulesService) {}

  @Post()
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Create a rule',
    description:
      'When an event of `trigger.type` happens to `entity` and `conditions` hold, `actions` run in order, durably, ' +
      'as one Temporal workflow. `scheduled` rules need `trigger.cron` (and a Temporal Schedule runs them); ' +
      '`webhook` rules get `trigger.hookUrl`, shown in full only in this answer. Invalid conditions, actions or ' +
      'templates are a 400 naming the place (`actions[0].config.url`).',
  })
  @ApiBody({ type: CreateRuleDto, examples: { 'a rule on new orders': { value: CREATE_RULE_EXAMPLE } } })
  @ApiCreatedResponse({ type: RuleDto })
  @ApiErrors(400)
  create(@Auth() auth: AuthContext, @Body() dto: CreateRuleDto) {
    return this.rules.create(auth, dto);
  }

  @Get()
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'List rules, highest priority first',
    description: 'Filter by `entity`, `isActive` and `triggerType`; paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(RuleDto, 'one page, highest priority first')
  @ApiErrors(400)
  list(@Auth() auth: AuthContext, @Query() query: ListRulesQueryDto) {
    return this.rules.list(auth, query);
  }

  @Post('reorder')
  @HttpCode(200)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Set priorities: the first id gets the highest',
    description: 'Every id must be a rule of the caller; the answer lists them in their new order.',
  })
  @ApiOkResponse({ type: RuleListDto })
  @ApiErrors(400, { 404: "an id that is not one of the caller's rules" })
  reorder(@Auth() auth: AuthContext, @Body() dto: ReorderRulesDto) {
    return this.rules.reorder(auth, dto);
  }

  @Get(':id')
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'One rule',
    description: 'With its version, run counters and the status of its last run; secrets masked.',
  })
  @ApiOkResponse({ type: RuleDto })
  @ApiErrors({ 404: NOT_FOUND })
  get(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.rules.get(auth, id);
  }

  @Patch(':id')
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Change any writable field; the version goes up by one',
    description:
      'Validated as on create. Runs in progress keep the version they started with. Masked secrets sent back ' +
      'keep the stored value only while the target URL host stays the same.',
  })
  @ApiOkResponse({ type: RuleDto })
  @ApiErrors(400, { 404: NOT_FOUND })
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: UpdateRuleDto) {
    return this.rules.update(auth, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Delete a rule',
    description: 'Its schedule is deleted with it; runs in progress go on; its executions stay readable.',
  })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors({ 404: NOT_FOUND })
  async remove(@Auth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    await this.rules.remove(auth, id);
  }

  @Get(':id/versions')
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'The rule as it was at each version, newest first',
    description: 'Each execution records the `ruleVersion` it ran. Paged with `?limit=` and `?cursor=`.',
  })
  @ApiPageResponse(RuleVersionDto, 'one page, newest version first')
  @ApiErrors(400, { 404: NOT_FOUND })
  versions(@Auth() auth: AuthContext, @Param('id') id: string, @Query() query: PageQueryDto) {
    return this.rules.versions(auth, id, query);
  }

  @Post(':id/versions/:version/restore')
  @HttpCode(200)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Make an earlier version current again, as a new version',
    description:
      'The rule gets a new version (+1) whose name, description, entity, trigger, conditions and actions are ' +
      'those of `version`; its priority and active state stay as they are. Recorded like any PATCH (versions, audit, ' +
      'schedule). 404 for an unknown version; 400 when that definition no longer validates (say, a webhook ' +
      'endpoint it names was deleted).',
  })
  @ApiOkResponse({ type: RuleDto, description: 'the rule at its new version' })
  @ApiErrors({
    400: 'the definition of that version no longer validates (the message names the field)',
    404: "unknown rule or version, or another tenant's rule",
  })
  restore(@Auth() auth: AuthContext, @Param('id') id: string, @Param('version') version: string) {
    return this.rules.restore(auth, id, version);
  }

  @Post(':id/activate')
  @HttpCode(200)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Match events again (a scheduled rule resumes its schedule)',
    description: 'Answers the rule; activating an active rule changes nothing.',
  })
  @ApiOkResponse({ type: RuleDto })
  @ApiErrors({ 404: NOT_FOUND })
  activate(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.rules.setActive(auth, id, true);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'Stop matching events (a scheduled rule pauses its schedule)',
    description: 'Answers the rule; runs in progress go on.',
  })
  @ApiOkResponse({ type: RuleDto })
  @ApiErrors({ 404: NOT_FOUND })
  deactivate(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.rules.setActive(auth, id, false);
  }

  @Post(':id/rotate-hook')
  @HttpCode(200)
  @RequireScope('rules:write')
  @ApiOperation({
    summary: 'A new hook token for a webhook-triggered rule',
    description:
      'Answers `{"hookUrl"}` with the new URL in full (shown only here); the old URL answers 404 at once. ' +
      'Other responses show the URL with the token masked. 409 when the rule is not webhook-triggered.',
  })
  @ApiOkResponse({ type: HookUrlDto })
  @ApiErrors({ 404: NOT_FOUND, 409: 'the rule is not webhook-triggered' })
  rotateHook(@Auth() auth: AuthContext, @Param('id') id: string) {
    return this.rules.rotateHook(auth, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @NotAudited() // a dry run changes nothing
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'Dry run: per-condition results and rendered action configs; nothing runs or is stored',
    description:
      "`type` evaluates as another event type (default: the trigger's); `previous` feeds changed* operators.",
  })
  @ApiOkResponse({ type: RuleTestResultDto })
  @ApiErrors(400, { 404: NOT_FOUND })
  test(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: TestRuleDto) {
    return this.rules.test(auth, id, dto);
  }

  @Post(':id/backtest')
  @HttpCode(200)
  @NotAudited() // evaluates stored events; nothing runs and nothing is stored
  @RequireScope('rules:read')
  @ApiOperation({
    summary: 'Evaluate the rule, or draft conditions/trigger, over stored events; nothing runs or is stored',
    description:
      "The tenant's stored events of the rule's entity and trigger type (the draft trigger's type when given), " +
      'received in [`since`, `until`), newest first, are evaluated with the compiled conditions. `evaluated` and ' +
      '`matched` count over the whole window, at most ' +
      `${BACKTEST_MAX_EVENTS.toLocaleString('en-US')} events per call (narrow the window for more); ` +
      `\`items\` lists the newest \`limit\` (default and at most ${BACKTEST_MAX_ITEMS}) with their result. ` +
      'Draft conditions are validated as at save (400 naming the condition).',
  })
  @ApiOkResponse({ type: BacktestResultDto })
  @ApiErrors(400, { 404: NOT_FOUND })
  backtest(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: BacktestRuleDto) {
    return this.rules.backtest(auth, id, dto);
  }

  @Post(':id/run')
  @HttpCode(202)
  @RequireScope('executions:write')
  @ApiOperation({
    summary: 'Run the rule now on the given data (any trigger type)',
    description: 'Conditions are not evaluated; follow the run with GET /v1/executions/{executionId}.',
  })
  @ApiAcceptedResponse({ type: StartedRunDto })
  @ApiErrors(400, { 404: NOT_FOUND })
  async run(@Auth() auth: AuthContext, @Param('id') id: string, @Body() dto: RunRuleDto) {
    const { executionId, workflowId } = await this.rules.run(auth, id, dto);
    return { executionId, workflowId };
  }
}
