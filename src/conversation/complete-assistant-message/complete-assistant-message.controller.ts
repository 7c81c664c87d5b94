import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCommand, ApiMessageId, ApiProject } from '../../http/openapi.decorators.js';
import { MessageIdPipe, ProjectIdPipe } from '../../http/validation.js';
import { answer, commandContext, only } from '../http/command-http.js';
import { MessageSchema } from '../message.schema.js';
import { type Message } from '../message.js';
import { CompleteAssistantMessage } from './complete-assistant-message.command.js';
import { CompleteAssistantMessageBody } from './complete-assistant-message.dto.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

@ApiProject('commands')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class CompleteAssistantMessageController {
  constructor(private readonly commands: CommandBus) {}

  @Post('assistant-messages/:messageId/complete')
  @ApiMessageId()
  @ApiCommand({
    ok: {
      type: MessageSchema,
      description: 'Appended AssistantCompleted, or a retry of the same completion: the message',
    },
    problems: [404, 409],
  })
  async completeAssistantMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: CompleteAssistantMessageBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const command = new CompleteAssistantMessage(projectId, messageId, body, commandContext(request));
    const outcome = await this.commands.execute(command);
    answer(reply, outcome, 200);
    return only(outcome.messages[0]);
  }
}
