-- The pool's consumer takes tracking's events alone from now on (docs/adr/0036): DuoEnded is applied once, whatever
-- came before it in its duo's stream, and tracking's other events are not read. Any of tracking's events held until
-- now, waiting for a predecessor, would wait for ever: a held DuoEnded is parked instead, so that `duo parked replay`
-- applies it (its position check then finds it new); the others, without an effect here, go. Intake's events (every
-- type intake publishes, as of this version; intake and tracking are the producers matching reads) stay held, in
-- stream order, as before.
INSERT INTO parked_events (consumer, event_id, event_type, reason, envelope)
SELECT consumer, (envelope->>'event_id')::uuid, envelope->>'event_type', 'held_before_adr_0036', envelope
FROM held_events
WHERE consumer = 'matching' AND envelope->>'event_type' = 'DuoEnded'
ON CONFLICT (consumer, event_id) DO NOTHING;

DELETE FROM held_events
WHERE consumer = 'matching'
  AND envelope->>'event_type' <> ALL (ARRAY[
    'MenteeApplicationRejected', 'MenteeRegistered', 'MenteeProfileChanged', 'InformationSessionAttended',
    'IntakeInterviewHeld', 'MenteeReadyForMatching', 'MenteeOutcomeBeforeDuo', 'MenteeWithdrawn', 'MenteeRejoined',
    'MenteeTargetGroupRecorded', 'MenteeTargetGroupConsentWithdrawn', 'MentorApplicationRejected', 'MentorRegistered',
    'MentorProfileChanged', 'MentorTrainingModuleCompleted', 'MentorTrainingCompleted', 'MentorWithdrawn',
    'MentorRejoined', 'MentorEmploymentRecorded', 'PersonalDataErased'
  ]);
