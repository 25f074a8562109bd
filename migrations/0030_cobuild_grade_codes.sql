-- The grades a co-build proposal records are evaluation grade codes, as in `evaluations.grade`
-- (0008): the app decodes them as `Grade`, so a stray value must be refused where it is written.
ALTER TABLE cobuild_proposals
    ADD CONSTRAINT cobuild_proposals_previous_grade_check
        CHECK (previous_grade IN ('excellent', 'good', 'pass', 'fail')),
    ADD CONSTRAINT cobuild_proposals_last_grade_check
        CHECK (last_grade IN ('excellent', 'good', 'pass', 'fail'));
