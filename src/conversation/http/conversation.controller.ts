import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { Problem } from '../../http/problem.js';
import { MessageIdPipe, ProjectIdPipe } from '../../http/validation.js';
import { ReadConversationEvents, type EventLogPage } from '../conversation-events.query.js';
import { ExecuteConversationCommand } from '../conversation.commands.js';
import { type ConversationCommand } from '../conversation.decide.js';
import { type CommandContext, type CommandOutcome } from '../conversation.processor.js';
import { replyIdFor, uuidv7 } from '../ids.js';
import { type Message } from '../message.js';
import {
  CompleteAssistantBody,
  PostMessageBody,
  ReserveAssistantBody,
  StartTurnBody,
} from './conversation.dto.js';
import { integerParam, preconditionFrom } from './request-parsing.js';

interface CommandHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  'x-request-id'?: string;
}

@Controller('v1/projects/:projectId')
export class ConversationController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('messages')
  async postMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: PostMessageBody,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const outcome = await this.execute(headers, {
      type: 'PostUserMessage',
      projectId,
      messageId: normalizeId(body.id) ?? uuidv7(),
      content: body.content,
      imageUrls: body.imageUrls ?? [],
      createdBy: null,
      now: new Date().toISOString(),
    });
    return created(reply, outcome, projectId);
  }

  @Post('assistant-messages')
  async reserveAssistantMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: ReserveAssistantBody,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const outcome = await this.execute(headers, {
      type: 'ReserveAssistantMessage',
      projectId,
      messageId: normalizeId(body.id) ?? uuidv7(),
      content: body.content ?? '',
      replyTo: normalizeId(body.replyTo) ?? null,
      createdBy: null,
      now: new Date().toISOString(),
    });
    return created(reply, outcome, projectId);
  }

  @Post('assistant-messages/:messageId/complete')
  async completeAssistantMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Param('messageId', MessageIdPipe) messageId: string,
    @Body() body: CompleteAssistantBody,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const outcome = await this.execute(headers, {
      type: 'CompleteAssistantMessage',
      projectId,
      messageId,
      content: body.content,
      status: body.status ?? 'success',
      now: new Date().toISOString(),
    });
    void reply.status(200).header('ETag', `"${outcome.revision}"`);
    return only(outcome.messages[0]);
  }

  @Post('turns')
  async startTurn(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: StartTurnBody,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ user: Message; assistant: Message; revision: number }> {
    const userId = normalizeId(body.user.id) ?? uuidv7();
    const outcome = await this.execute(headers, {
      type: 'StartTurn',
      projectId,
      user: { messageId: userId, content: body.user.content, imageUrls: body.user.imageUrls ?? [] },
      assistant: {
        messageId: normalizeId(body.assistant?.id) ?? replyIdFor(userId),
        content: body.assistant?.content ?? '',
      },
      createdBy: null,
      now: new Date().toISOString(),
    });
    const [user, assistant] = outcome.messages;
    void reply.status(outcome.appended ? 201 : 200).header('ETag', `"${outcome.revision}"`);
    return { user: only(user), assistant: only(assistant), revision: only(assistant).sequence };
  }

  @Get('events')
  readEvents(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Query('fromRevision') fromRevision: unknown,
    @Query('limit') limit: unknown,
  ): Promise<EventLogPage> {
    return this.queries.execute(
      new ReadConversationEvents(
        projectId,
        integerParam('fromRevision', fromRevision, 0, 0, Number.MAX_SAFE_INTEGER),
        integerParam('limit', limit, 100, 1, 1000),
      ),
    );
  }

  private execute(headers: CommandHeaders, command: ConversationCommand): Promise<CommandOutcome> {
    const context: CommandContext = {
      precondition: preconditionFrom(headers['if-match'], headers['if-none-match']),
      correlationId: headers['x-request-id']?.slice(0, 200) ?? null,
      causationId: uuidv7(),
      userId: null,
    };
    return this.commands.execute(new ExecuteConversationCommand(command, context));
  }
}

function created(reply: FastifyReply, outcome: CommandOutcome, projectId: string): Message {
  const message = only(outcome.messages[0]);
  void reply.status(outcome.appended ? 201 : 200).header('ETag', `"${outcome.revision}"`);
  if (outcome.appended) void reply.header('Location', `/v1/projects/${projectId}/messages/${message.id}`);
  return message;
}

function only(message: Message | undefined): Message {
  if (!message) throw new Problem(500, 'internal', 'The command left no message');
  return message;
}

function normalizeId(id: string | undefined): string | undefined {
  return id?.toLowerCase();
}
