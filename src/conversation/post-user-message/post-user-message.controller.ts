import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProjectIdPipe } from '../../http/validation.js';
import { answerCreated, commandContext } from '../http/command-http.js';
import { type Message } from '../message.js';
import { PostUserMessage } from './post-user-message.command.js';
import { PostUserMessageBody } from './post-user-message.dto.js';

@Controller('v1/projects/:projectId')
export class PostUserMessageController {
  constructor(private readonly commands: CommandBus) {}

  @Post('messages')
  async postUserMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: PostUserMessageBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const outcome = await this.commands.execute(
      new PostUserMessage(projectId, body, commandContext(request)),
    );
    return answerCreated(reply, outcome, projectId);
  }
}
