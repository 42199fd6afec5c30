import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { CaptureConsumer } from './capture-consumer.service';
import { RegisteredEntitiesController } from './registered-entities.controller';
import { RegisteredEntitiesService } from './registered-entities.service';

/** `POST /v1/entities`: registered tables and views, and change capture turning row changes into events. */
@Module({
  imports: [EventsModule],
  controllers: [RegisteredEntitiesController],
  providers: [RegisteredEntitiesService, CaptureConsumer],
})
export class RegisteredEntitiesModule {}
