export * from './ivr-session.activities';
