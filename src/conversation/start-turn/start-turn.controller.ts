import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCommand, ApiProject } from '../../http/openapi.decorators.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { answer, commandContext, only } from '../http/command-http.js';
import { StartTurn } from './start-turn.command.js';
import { StartTurnBody, TurnSchema } from './start-turn.dto.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

@ApiProject('commands')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class StartTurnController {
  constructor(private readonly commands: CommandBus) {}

  @Post('turns')
  @ApiCommand({
    created: { type: TurnSchema, description: 'Appended UserMessaged and AssistantReserved in one append' },
    ok: { type: TurnSchema, description: 'A retry with the same two ids' },
    problems: [409],
  })
  async startTurn(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: StartTurnBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TurnSchema> {
    const outcome = await this.commands.execute(new StartTurn(projectId, body, commandContext(request)));
    const [user, assistant] = outcome.messages;
    answer(reply, outcome);
    return { user: only(user), assistant: only(assistant), revision: only(assistant).sequence };
  }
}
