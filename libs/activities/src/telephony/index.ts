export * from './telephony.activities';
