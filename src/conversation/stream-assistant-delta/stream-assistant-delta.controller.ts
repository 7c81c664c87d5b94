import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCommand, ApiMessageId, ApiProject } from '../../http/openapi.decorators.js';
import { MessageIdPipe, ProjectIdPipe } from '../../http/validation.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';
import { answer, commandContext, only } from '../http/command-http.js';
import { StreamAssistantDelta } from './stream-assistant-delta.command.js';
import { StreamAssistantDeltaBody, StreamedDeltaSchema } from './stream-assistant-delta.dto.js';

@ApiProject('commands')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class StreamAssistantDeltaController {
  constructor(private readonly commands: CommandBus) {}

  @Post('assistant-messages/:messageId/stream')
  @ApiMessageId()
  @ApiCommand({
    ok: {
      type: StreamedDeltaSchema,
      description: 'Appended AssistantDeltaAppended, or a retry of the same delta (nothing appended)',
    },
    problems: [404, 409],
  })
  async streamAssistantDelta(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: StreamAssistantDeltaBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamedDeltaSchema> {
    const command = new StreamAssistantDelta(projectId, messageId, body, commandContext(request));
    const outcome = await this.commands.execute(command);
    answer(reply, outcome, 200);
    const message = only(outcome.messages[0]);
    return { id: message.id, length: message.content.length, revision: outcome.revision };
  }
}
