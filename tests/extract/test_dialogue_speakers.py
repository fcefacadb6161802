"""Who speaks untagged and loosely tagged speech: one small text per rule, written for the test.

Each text is built so that the rule decides the speaker: without it the extractor names
someone else (the checks below were run against the code before each rule landed).
"""

from __future__ import annotations

from botsmith.extract import extract_dialogue
from botsmith.extract.dialogue.attribution import Cue
from botsmith.extract.dialogue.cast import Cast


def speakers(text: str) -> list[str | None]:
    """The speaker of each speech paragraph (its first utterance), in order."""
    found = []
    for span in extract_dialogue(text).spans():
        paragraph_start = text.rfind("\n\n", 0, span["start"])
        if not found or found[-1][0] != paragraph_start:
            found.append((paragraph_start, span["speaker"]))
    return [speaker for _, speaker in found]


def test_a_tag_that_introduces_speech_through_and_saying_or_to_say() -> None:
    text = ("“Good evening,” said Edmund.\n\n“Good evening,” said Mary.\n\n"
            "Mrs. Norris gave the particulars of the letters; but after tea, as Mary was standing at the "
            "window with Edmund, she suddenly revived the subject by turning round towards the group, and saying, "
            "“How happy he looks!”\n\n"
            "Edmund turned farther into the window; and Mary had only time to say, in a pleasant manner, "
            "“I fancy he is thinking of November.”\n")
    assert speakers(text) == ["Edmund", "Mary", "Mary", "Mary"]


def test_someone_who_makes_no_answer_is_answered_by_the_same_speaker() -> None:
    text = ("“Good evening,” said Edmund.\n\n“How quiet the house is to-night,” said Mary.\n\n"
            "Edmund looked round at Mr. Rushworth too, but had nothing to say.\n\n"
            "“Your father's return will be a very interesting event.”\n\n"
            "“It will, indeed, after such an absence.”\n\n"
            "“And a happy one.”\n")
    assert speakers(text) == ["Edmund", "Mary", "Mary", "Edmund", "Mary"]
    named_before = text.replace("Edmund looked round at Mr. Rushworth too, but had nothing to say.",
                                "Then perceiving in Edmund no inclination of replying, she looked away.")
    assert speakers(named_before) == ["Edmund", "Mary", "Mary", "Edmund", "Mary"]


def test_she_added_goes_on_with_the_last_speaker_unless_the_narration_names_another() -> None:
    opening = "“Good evening,” said Elizabeth.\n\n“This is a most unfortunate affair,” said Mary.\n\n"
    added = "Then perceiving in Elizabeth no inclination of replying, she added, “We may learn from it.”\n"
    assert speakers(opening + added) == ["Elizabeth", "Mary", "Mary"]
    agreed = "Elizabeth readily agreed. “Only,” she added, “we may overtake them.”\n"
    assert speakers(opening + agreed) == ["Elizabeth", "Mary", "Elizabeth"]


def test_silence_is_over_once_someone_else_is_named_after_it() -> None:
    text = ("“Good evening,” said Elizabeth.\n\n“He only told me what I have now told you,” said Colonel Fitzwilliam.\n\n"
            "Elizabeth made no answer, and walked on. After watching her a little, Fitzwilliam asked her why "
            "she was so thoughtful.\n\n“I am thinking of what you have been telling me,” said she.\n")
    assert speakers(text) == ["Elizabeth", "Colonel Fitzwilliam", "Elizabeth"]


def test_her_aunt_after_a_woman_spoke_is_not_that_woman() -> None:
    text = ("“Can you so wholly give him up?” said Mrs. Gardiner.\n\n“Not perhaps,” replied Elizabeth.\n\n"
            "“Well, then,” replied Mr. Gardiner.\n\n“It does seem shocking,” replied Elizabeth.\n\n"
            "“But you see that Jane,” said her aunt, “does not think so ill of him.”\n")
    assert speakers(text) == ["Mrs. Gardiner", "Elizabeth", "Mr. Gardiner", "Elizabeth", "Mrs. Gardiner"]


def test_narration_that_leaves_two_people_by_themselves_starts_a_new_exchange() -> None:
    text = ("“Welcome home,” said Jane.\n\n“Good evening,” said Mary.\n\n“Good evening,” said Elizabeth.\n\n"
            "“We must stem the tide of malice,” said Mary.\n\n"
            "In the afternoon, Elizabeth and Jane were able to be for half an hour by themselves; and "
            "Elizabeth continued the subject by saying, “But tell me all.”\n\n"
            "“Colonel Forster did own it.”\n\n“And was Denny convinced?”\n\n“Yes.”\n")
    assert speakers(text)[4:] == ["Elizabeth", "Jane", "Elizabeth", "Jane"]


def test_a_surname_under_another_title_is_not_its_titled_holder() -> None:
    cast = Cast.from_cues("Mr. Bennet came. Mr. Bennet went. Bennet sat.", [Cue("name", "Mr. Bennet", "m")])
    assert cast.mentions("Bennet, Miss Bennet and Mr.\nBennet") == ["Mr. Bennet", "Mr. Bennet"]


def test_he_is_the_subject_of_the_narration_before_rather_than_a_man_it_mentions() -> None:
    text = ("“Good day,” said Mr. Gardiner.\n\n“Poor dear child! And where is Mr. Bennet?” said Mrs. Bennet.\n\n"
            "They all exclaimed; and Mr. Gardiner told her that he would assist Mr. Bennet in every endeavour.\n\n"
            "“Do not give way to useless alarm,” added he.\n")
    assert speakers(text) == ["Mr. Gardiner", "Mrs. Bennet", "Mr. Gardiner"]


def test_a_reply_that_opens_by_calling_someone_answers_the_untagged_speech_before_it() -> None:
    text = ("“Your opinion is unchanged, I presume?” said Edward.\n\n“Undoubtedly,” said Marianne.\n\n"
            "“Marianne is as steadfast as ever, you see,” said Elinor.\n\n"
            "“She is only grown a little more grave than she was.”\n\n"
            "“Nay, Edward,” said Marianne, “you need not reproach me.”\n")
    assert speakers(text) == ["Edward", "Marianne", "Elinor", "Edward", "Marianne"]
    # the untagged speech called someone itself: the reply turning to a third person says nothing about it
    text = ("“I do not cough for my own amusement,” replied Kitty.\n\n“I am sick of Mr. Bingley,” cried Mrs. Bennet.\n\n"
            "“I am sorry to hear that; but I have paid the visit,” said Mr. Bennet.\n\n"
            "“How good it was in you, my dear Mr. Bennet!”\n\n"
            "“Now, Kitty, you may cough as much as you choose,” said Mr. Bennet.\n")
    assert speakers(text) == ["Kitty", "Mrs. Bennet", "Mr. Bennet", "Mrs. Bennet", "Mr. Bennet"]


def test_a_speech_that_calls_someone_sir_is_answered_by_a_man() -> None:
    text = ("“It is very pretty, madam,” said Mr. Tilney.\n\n“How can you,” said Catherine, “be so strange?”\n\n"
            "“I am quite of your opinion, sir,” replied Mrs. Allen.\n\n"
            "“But then you know, madam, muslin always turns to some account.”\n")
    assert speakers(text) == ["Mr. Tilney", "Catherine", "Mrs. Allen", "Mr. Tilney"]
    # the `sir` answers only the very next speech: after narration the exchange goes on as before
    text = ("“I will take my three turns,” said Mr. Woodhouse.\n\n“Do, papa,” said Emma.\n\n"
            "“Thank you, sir, I am going myself,” said Mr. Knightley.\n\n"
            "Mr. Woodhouse at last was off; but Mr. Knightley sat down again.\n\n"
            "“She is a pretty little creature,” said he.\n\n“I am glad you think so.”\n")
    assert speakers(text)[3:] == ["Mr. Knightley", "Emma"]


def test_whoever_the_narration_says_left_drops_out_of_the_exchange() -> None:
    text = ("“Do go, papa,” said Emma.\n\n“I will take my three turns,” said Mr. Woodhouse.\n\n"
            "“Thank you, I am going myself,” said Mr. Knightley.\n\n"
            "Mr. Woodhouse at last was off; but Mr. Knightley sat down again.\n\n"
            "“She is a pretty little creature,” said he.\n\n“I am glad you think so.”\n\n"
            "“Come, you are anxious for a compliment.”\n\n“Thank you.”\n")
    assert speakers(text)[3:] == ["Mr. Knightley", "Emma", "Mr. Knightley", "Emma"]


def test_the_narration_leading_in_does_not_name_someone_the_speech_calls() -> None:
    lead_in = ("While she was gone, Mr. Knightley called, and sat some time with Mr. Woodhouse and Emma, till "
               "Mr. Woodhouse, who had previously made up his mind to walk out, was persuaded by his daughter not "
               "to defer it. Mr. Knightley, who had nothing of ceremony about him, was offering by his short, "
               "decided answers, an amusing contrast to the protracted apologies and civil hesitations of the other.")
    text = (lead_in + "\n\n“Well, if you will excuse me, Mr. Knightley, I shall go out.”\n\n"
            "“My dear sir, do not make a stranger of me,” said Mr. Knightley.\n")
    assert speakers(text)[0] != "Mr. Knightley"


def test_a_speech_that_calls_my_emma_is_not_hers() -> None:
    text = ("“Harriet is to marry Robert Martin,” said Mr. Knightley.\n\n“Harriet!” cried Emma.\n\n"
            "“It is so, indeed,” continued Mr. Knightley; “I have it from Robert Martin himself.”\n\n"
            "She was still looking at him with the most speaking amazement.\n\n"
            "“You like it, my Emma, as little as I feared.”\n")
    # the narration's `She` would make it Emma's; nobody else is in the scene to take it, so it is unknown
    assert speakers(text) == ["Mr. Knightley", "Emma", "Mr. Knightley", None]


def test_a_thought_calls_nobody_who_could_answer() -> None:
    text = ("“Come again soon,” said Mrs. Martin.\n\nHarriet went home to Emma.\n\n"
            "“I was at the farm,” said Harriet.\n\n“Well done, Mrs. Martin!” thought Emma.\n\n"
            "“And she sent Mrs. Goddard a goose.”\n")
    assert speakers(text) == ["Mrs. Martin", "Harriet", "Emma", "Harriet"]


def test_the_miss_bertrams_are_never_the_she_of_a_tag() -> None:
    text = ("“Good evening,” said Miss Bertram. “Good evening,” said Miss Crawford.\n\n"
            "Miss Crawford walked on with Edmund; the Miss Bertrams stayed at the piano, and Miss Bertram said "
            "nothing more; the Miss Bertrams played.\n\n“How happy he looks!” said she.\n")
    cast = Cast.from_cues(text, [Cue("name", "Miss Bertram", "f"), Cue("name", "Miss Crawford", "f")])
    assert cast.gender("Miss Bertrams") == "group" and cast.surname("Miss Bertrams") is None
    assert speakers(text)[-1] != "Miss Bertrams"




def test_a_capitalised_word_that_names_nobody_is_no_speaker_and_no_name_is_guessed() -> None:
    text = ("“Shall we go in?” said Emma.\n\n“By all means,” said Mr. Knightley.\n\n"
            "Another song, however, was soon begged for. “One more; they would not fatigue you.”\n\n"
            "“Very well,” said Jane.\n")
    assert speakers(text) == ["Emma", "Mr. Knightley", None, "Jane"]
    # Lydia, never named here: the turn-taking with Elizabeth must not make her lines Elizabeth's (or Jane's)
    text = ("“We are come home,” said Jane.\n\n“So I see,” said Elizabeth.\n\n"
            "One morning, as she was sitting with her two elder sisters, she said to Elizabeth,--\n\n"
            "“Lizzy, I never gave you an account of my wedding.”\n\n“No, really,” replied Elizabeth.\n\n"
            "“La! You are so strange!”\n\n“Mr. Darcy!” repeated Elizabeth.\n\n“Oh, yes! he was there.”\n\n"
            "“If it was to be a secret,” said Jane, “say not another word.”\n")
    assert speakers(text) == ["Jane", "Elizabeth", None, "Elizabeth", None, "Elizabeth", None, "Jane"]


def test_a_titled_full_name_opening_the_narration_is_the_whole_name() -> None:
    text = ("Mr. John Knightley was cold.\n\n“I shall be snowed up,” said John Knightley.\n\n"
            "“Nonsense,” said Mr. Weston.\n\n"
            "Mr. John Knightley looked as if he did not comprehend the pleasure, but said only, coolly,\n\n"
            "“I cannot wish to be snowed up a week at Randalls.”\n")
    assert speakers(text)[-1] == "John Knightley"


def test_a_speech_after_reported_words_answers_them() -> None:
    text = ("“So, you are come at last!” said Mary. “I am so ill.”\n\n"
            "“I am sorry to find you unwell,” replied Anne.\n\n“Yes, I made the best of it.”\n\n"
            "Anne said what was proper, and enquired after her husband. “Oh! Charles is out shooting.”\n\n"
            "“You have had your little boys with you?”\n\n“Yes, as long as I could bear their noise.”\n")
    assert speakers(text) == ["Mary", "Anne", "Mary", "Mary", "Anne", "Mary"]


def test_the_he_after_a_woman_is_the_man_just_named_unless_she_may_be_the_unnamed_heroine() -> None:
    opening = "“Good morning,” said Anne.\n\n“Good morning,” said Captain Harville.\n\n“Well,” said Anne.\n\n"
    text = (opening + "In walking up Milsom Street Anne had the good fortune to meet with Captain Harville. He was "
            "standing by himself at a window. When he did perceive her, it was done with all his usual frankness. "
            "“Ha! is it you? Thank you.”\n")
    assert speakers(text)[-1] == "Captain Harville"
    # `she` where the heroine is a woman the paragraph does not name: not the woman it names
    text = ("“Good evening,” said Emma.\n\n“Good evening,” said Harriet.\n\n“Well,” said Mr. Elton.\n\n"
            "“Well,” said Emma.\n\n"
            "Mr. Elton was all obligation; he was so cheerful that she began to think he must have received a "
            "different account of Harriet. She had sent while dressing, and the answer had been, “Much the same.”\n")
    assert speakers(text)[-1] != "Harriet"


def test_one_of_a_group_who_speaks_is_nobody_named() -> None:
    text = ("“Good morning,” said Anne.\n\n“Good morning,” said Mary.\n\n"
            "And one day when Anne was walking with only the Musgroves, one of them after talking of rank, people "
            "of rank, and jealousy of rank, said, “I have no scruple of observing how nonsensical some are.”\n")
    assert speakers(text) == ["Anne", "Mary", None]
    # `one of` that is no speaker: `one of the earliest--` hands over to Mrs. Price's own question
    text = ("“Good morning,” said Mrs. Price.\n\n“Good morning,” said Fanny.\n\n"
            "Mrs. Price was at leisure to think of her eldest daughter. A few inquiries began: but one of the "
            "earliest--“How did sister Bertram manage about her servants?”\n")
    assert speakers(text)[-1] == "Mrs. Price"


def test_narration_that_ends_on_added_goes_on_with_the_last_speaker() -> None:
    text = ("“There is so little real friendship in the world!” said Mrs Smith.\n\n“Indeed,” said Anne.\n\n"
            "“Yes,” said Mrs Smith, “it is its weakness that appears in a sick chamber.”\n\n"
            "Anne saw the misery of such feelings. It was but a passing emotion however with Mrs Smith; she shook it "
            "off, and soon added in a different tone--\n\n“I do not suppose my friend Mrs Rooke will edify me.”\n")
    assert speakers(text)[-1] == "Mrs Smith"


def test_whom_a_speaker_turns_to_answers_unless_the_speech_calls_someone_after() -> None:
    opening = "“Good evening,” said Mary.\n\n“Good evening,” said Anne.\n\n"
    text = (opening + "“Anne, must not it be our Mr Elliot? Pray sir,” turning to the waiter, “did not you hear?”\n\n"
            "“No, ma'am, he did not mention no particular family.”\n")
    assert speakers(text) == ["Mary", "Anne", "Mary", None]
    text = (opening + "“Perhaps,” turning to Anne, “my other companion may take an arm.”\n\n“Thank you.”\n")
    assert speakers(text)[-1] == "Anne"
    text = (opening + "“For your sake,” turning to Anne, “I am glad of it. Do you play, Miss Bennet?”\n\n"
            "“A little.”\n\n“Well,” said Miss Bennet.\n")
    assert speakers(text)[-2] != "Anne"


def test_narration_ending_on_say_or_saying_names_the_subject_of_its_clause() -> None:
    opening = "“Good morning,” said Anne.\n\n“Good morning,” said Captain Wentworth.\n\n“Well,” said Mary.\n\n"
    cases = [
        ("The surprise of finding himself almost alone with Anne Elliot deprived his manners of their composure: he "
         "started, and could only say, “I thought the Miss Musgroves had been here.”\n", "Captain Wentworth"),
        ("Anne was rather distressed for an answer, and the Admiral, fearing he might not have been civil, took up the "
         "subject again, to say--\n\n“The next time you write to your father, pray give him my compliments.”\n",
         "Admiral"),
        ("Anne was in time for the whole conversation, which began with Mary's saying, in a tone of exultation--\n\n"
         "“I mean to go with you, Charles.”\n", "Mary"),
        ("Anne was quite easy, till for a moment electrified by Mary's suddenly saying,--\n\n"
         "“It was you, and not your sister, I find.”\n", "Mary"),
        ("“Four o'clock!” was Mary's quick amendment.\n", "Mary"),
    ]
    for narration, speaker in cases:
        assert speakers("“Good day,” said the Admiral.\n\n" + opening + narration)[-1] == speaker
    # `the former` names nobody the pattern can give: the last name before it is not taken instead
    text = (opening + "As Anne now was, and Mary could not think it impossible, the former continued the subject by "
            "saying, “But tell me all about it.”\n")
    assert speakers(text)[-1] != "Mary"


def test_miss_bennet_said_in_a_scene_is_the_sister_named_last() -> None:
    opening = ("Jane Bennet and Elizabeth Bennet were sisters, and Miss Bennet was the elder.\n\n"
               "“Good morning,” said Jane.\n\n“Good morning,” said Elizabeth.\n\n“Well,” said Miss Bennet.\n\n")
    talk = "“Do you play and sing, Miss Bennet?” said Lady Catherine.\n\n“A little.”\n\n“Oh then--we shall hear you.”\n"
    # Lady Catherine at Rosings asks Elizabeth: the narration's `Miss Bennet` (Jane) is not there
    assert speakers(opening + "Lady Catherine looked at Elizabeth.\n\n" + talk)[-3:] == [
        "Lady Catherine", "Elizabeth", "Lady Catherine"]
    # the eldest herself named last: she answers to her own name
    assert speakers(opening + "Lady Catherine looked at Elizabeth, and then at Miss Bennet.\n\n" + talk)[-3:] == [
        "Lady Catherine", "Miss Bennet", "Lady Catherine"]


def test_narration_that_reports_an_answer_hands_the_next_speech_to_the_other_side() -> None:
    opening = "“Good morning,” said Elizabeth.\n\n“Good morning,” said Mr. Bennet.\n\n"
    for report in ("Elizabeth replied very concisely that it was.",
                   "Elizabeth could hardly help smiling, as she assured him that it was."):
        text = (opening + "“Is it true?” said Mr. Bennet.\n\n" + report + "\n\n“Very well--and you have refused him?”"
                "\n\n“I have, sir.”\n")
        assert speakers(text)[-3:] == ["Mr. Bennet", "Mr. Bennet", "Elizabeth"], report


_BENNETS = ("“Good morning,” said Mrs. Bennet.\n\n“Good morning,” said Mr. Bennet.\n\n“Good morning,” said Mr. Bingley."
            "\n\n“Good morning,” said Elizabeth.\n\n")


def test_a_parent_the_narration_names_by_kin_is_the_family_s() -> None:
    # `her father` in narration is Mr. Bennet, for the `said he` after it (not Mr. Bingley, the last man named)
    text = (_BENNETS + "The next morning, as she was going down stairs, she was met by her father, who came out of "
            "his library with a letter in his hand.\n\n“Lizzy,” said he, “I was going to look for you.”\n")
    assert speakers(text)[-1] == "Mr. Bennet"
    # a lead-in that ends on `her father continued` is Mr. Bennet too, not someone called "her father"
    text = (_BENNETS + "The colour now rushed into Elizabeth’s cheeks, and she was undetermined whether most to be "
            "pleased or offended, when her father continued,--\n\n“You look conscious.”\n")
    assert speakers(text)[-1] == "Mr. Bennet"


def test_narration_that_ends_on_what_a_parent_did_hands_the_speech_to_the_parent() -> None:
    text = (_BENNETS + "In vain did Elizabeth endeavour to check the rapidity of her mother’s words, or persuade her to "
            "describe her felicity in a less audible whisper; for to her inexpressible vexation she could perceive that "
            "the chief of it was overheard by Mr. Darcy, who sat opposite to them. Her mother only scolded her for "
            "being nonsensical.\n\n“What is Mr. Darcy to me, pray, that I should be afraid of him?”\n")
    assert speakers(text)[-1] == "Mrs. Bennet"


def test_a_speech_that_opens_on_a_name_and_a_comma_calls_that_person() -> None:
    # `“Elizabeth,” said he,` calls her, so the untagged answer is hers, not the exchange's other side's (a lone
    # `Bingley.` answering a question calls nobody)
    text = ("“Good morning,” said Elizabeth.\n\n“Good morning,” said Lady Catherine.\n\n“Good morning,” said Mr. Bennet."
            "\n\n“Elizabeth,” said he, “I have received a letter this morning that has astonished me.”\n\n"
            "“From whom?”\n")
    assert speakers(text)[-1] == "Elizabeth"


def test_narration_that_ends_on_he_or_she_hands_the_speech_to_that_one_of_the_two() -> None:
    text = ("“I deserve neither such praise nor such censure,” cried Elizabeth.\n\n"
            "“In nursing your sister I am sure you have pleasure,” said Mr. Bingley.\n\n"
            "Elizabeth thanked him from her heart, and then walked towards a table where a few books were lying. He "
            "immediately offered to fetch her others.\n\n"
            "“And I wish my collection were larger for your benefit.”\n")
    assert speakers(text)[-1] == "Mr. Bingley"


def test_a_he_or_she_tag_after_a_speech_that_ends_by_calling_someone_is_that_one() -> None:
    text = ("“Good morning,” said Mr. Darcy.\n\n“Good morning,” said Mr. Bingley.\n\n"
            "“I cannot see that London has any great advantage over the country,” said Mrs. Bennet.\n\n"
            "“The country,” said Mr. Darcy, “can in general supply but few subjects.”\n\n"
            "“Yes, indeed,” said Mrs. Bennet. “The country is a vast deal pleasanter, is not it, Mr. Bingley?”\n\n"
            "“When I am in the country,” he replied, “I never wish to leave it.”\n")
    assert speakers(text)[-1] == "Mr. Bingley"


def test_he_or_she_was_silent_lets_the_other_one_of_the_two_go_on() -> None:
    text = ("“Good evening,” said Miss Bingley.\n\n“Good evening,” said Mr. Darcy.\n\n"
            "“How can you contrive to write so even?” said Miss Bingley.\n\nHe was silent.\n\n"
            "“Tell your sister I am delighted to hear of her improvement on the harp.”\n")
    assert speakers(text)[-1] == "Miss Bingley"


def test_a_lead_in_with_soon_afterwards_said_is_its_he() -> None:
    text = ("“Good evening,” said Elizabeth.\n\n“Good evening,” said Mr. Wickham.\n\n"
            "“Certainly,” he replied, biting his lips. Elizabeth hoped she had silenced him; but he soon "
            "afterwards said,--\n\n“I was surprised to see Darcy in town last month.”\n")
    assert speakers(text)[-1] == "Mr. Wickham"


def test_a_guess_the_next_paragraph_s_tag_contradicts_is_withdrawn() -> None:
    # alternation gives the untagged line to Elizabeth, whose tag opens the very next paragraph: a new paragraph is
    # a new speaker, so the line is unknown rather than hers (and not joined to her answer)
    text = ("“You cannot deny the charge,” said Mr. Darcy.\n\n“I can, and I do,” said Elizabeth.\n\n"
            "“Then we are at an end.”\n\n“Are you consulting your own feelings?”\n\n"
            "“Both,” replied Elizabeth archly.\n")
    assert speakers(text)[-3:] == ["Mr. Darcy", None, "Elizabeth"]
    turns = [turn for turn in extract_dialogue(text).turns if turn.speaker == "Elizabeth"]
    assert all("consulting" not in utterance.text for turn in turns for utterance in turn.utterances)
    # a short tag before the next speech still makes it the next paragraph's own
    text = ("“Good morning,” said Elizabeth.\n\n“I have heard much of your master’s fine person,” said Mrs. Gardiner. "
            "“But, Lizzy, you can tell us whether it is like or not.”\n\n"
            "Mrs. Reynolds’ respect for Elizabeth seemed to increase on this intimation of her knowing her master.\n\n"
            "“Does that young lady know Mr. Darcy?”\n\nElizabeth coloured, and said, “A little.”\n")
    assert speakers(text)[-2:] == [None, "Elizabeth"]


def test_a_she_tag_the_next_paragraph_s_name_tag_contradicts_is_withdrawn_unless_she_went_on() -> None:
    # `she` goes to Elizabeth, the one the narration names (Jane's possessive is not a mention)
    opening = ("“Good morning,” said Elizabeth.\n\n“Good morning,” said Jane.\n\n"
               "When the sisters were alone, Jane’s admiration of Mr. Bingley was soon told to Elizabeth.\n\n")
    text = (opening + "“He is just what a young man ought to be,” said she, “sensible, good-humoured, lively.”\n\n"
            "“He is also handsome,” replied Elizabeth.\n")
    assert speakers(text)[-2:] == [None, "Elizabeth"]
    # narration after her speech: she may speak again (`"Who is this?" She said it to the Knave, who only bowed`)
    text = (opening + "“He is just what a young man ought to be,” said she. Jane only smiled in reply.\n\n"
            "“He is also handsome,” said Elizabeth.\n")
    assert speakers(text)[-2:] == ["Elizabeth", "Elizabeth"]


def test_someone_the_narration_speaks_to_is_not_the_speaker() -> None:
    opening = "“Good evening,” said Elizabeth.\n\n“Good evening,” said Mr. Collins.\n\n“Good evening,” said Jane.\n\n"
    long_narration = "The evening passed quietly, and nothing more was said of Rosings or its mistress. " * 5
    text = (opening + long_narration + "\n\nWhen the ladies were separating for the toilette, he said to "
            "Elizabeth,--\n\n“Do not make yourself uneasy, my dear cousin, about your apparel.”\n")
    assert speakers(text)[-1] == "Mr. Collins"


def test_a_lead_in_s_she_nearest_the_verb_of_speaking_is_the_speaker() -> None:
    text = ("“Good evening,” said Elizabeth.\n\n“Good evening,” said Mr. Darcy.\n\n“Good evening,” said Sir William.\n\n"
            "“My dear Miss Eliza, why are not you dancing?” And, taking her hand, he would have given it to Mr. Darcy, "
            "who was not unwilling to receive it, when she instantly drew back, and said with some discomposure to "
            "Sir William,--\n\n“Indeed, sir, I have not the least intention of dancing.”\n")
    assert speakers(text)[-1] == "Elizabeth"


def test_a_lead_in_that_opens_on_she_goes_on_about_the_woman_the_narration_is_about() -> None:
    # not only after a long narration: `She was a little revived ...; and she seized the opportunity of saying,--`
    # in a running exchange is still Elizabeth, whom the narration is about, not the exchange's other woman
    text = ("“Good morning,” said Jane.\n\n“Good morning,” said Elizabeth.\n\n"
            "Elizabeth sat by the window while Mr. Darcy stood near the fire.\n\n“Are you well?” said Jane.\n\n"
            "“Quite well.”\n\nShe was a little revived by his bringing back his coffee-cup himself; and she seized "
            "the opportunity of saying,--\n\n“Is your sister at Pemberley still?”\n")
    assert speakers(text)[-1] == "Elizabeth"


def test_miss_before_a_first_name_makes_no_surname() -> None:
    # `Miss Elizabeth` is a title before her first name: she is still Elizabeth Bennet, and `her father` Mr. Bennet
    text = (_BENNETS + "Miss Elizabeth smiled; Miss Elizabeth Bennet and Jane Bennet were at home.\n\n"
            "“Good morning,” said Jane.\n\n“Good morning,” said Miss Bingley.\n\n“Good morning,” said Elizabeth.\n\n")
    cast = Cast.from_cues(text, [Cue("name", name, None) for name in
                                 ("Mrs. Bennet", "Mr. Bennet", "Mr. Bingley", "Elizabeth", "Jane", "Miss Bingley")])
    assert cast.surname("Elizabeth") == "Bennet"
    met = "The next morning, as she was going down stairs, she was met by her father.\n\n“Lizzy,” said he, “come.”\n"
    assert speakers(text + met)[-1] == "Mr. Bennet"


def test_a_family_name_two_men_hold_gives_a_first_name_no_father() -> None:
    # Anne Elliot's father is Sir Walter; Mr Elliot, the other titled Elliot, is a cousin
    text = ("“Good morning,” said Mr Elliot.\n\n“Good morning,” said Anne.\n\nAnne Elliot and Anne Elliot.\n\n"
            "“Good morning,” said Sir Walter Elliot.\n\n“Good morning,” said Mrs Clay.\n\n"
            "The next day Anne was met by her father.\n\n“Anne,” said he, “you look better.”\n")
    assert speakers(text)[-1] == "Sir Walter Elliot"


def test_a_man_is_not_his_own_father() -> None:
    # Kitty's surname is unknown; the man just named, Mr. Bingley, is not `her father`
    text = ("“Good morning,” said Mr. Bennet.\n\n“Good morning,” said Kitty.\n\n“Good morning,” said Mr. Bingley.\n\n"
            "Kitty was met by her father in the hall.\n\n“Kitty,” said he, “where is your mother?”\n")
    assert speakers(text)[-1] == "Mr. Bennet"


def test_a_lead_in_about_the_one_the_speech_calls_names_no_speaker() -> None:
    lead_in = ("The evening passed off pleasantly. Mr. Bingley had danced with Jane twice, and Mary and Lydia had "
               "been fortunate enough to be never without partners. They returned in good spirits to Longbourn. They "
               "found Mr. Bennet still up. With a book, he was regardless of time; and on the present occasion he had "
               "a good deal of curiosity. He had rather hoped that all her views on the stranger would be "
               "disappointed; but he soon found that he had a very different story to hear.")
    text = (_BENNETS + lead_in + "\n\n“Oh, my dear Mr. Bennet,” as she entered the room, “we have had a most "
            "delightful evening.”\n\n“If he had had any compassion for me,” cried her husband, “he would not have "
            "danced half so much!”\n\n“Oh, my dear,” continued Mrs. Bennet, “I am quite delighted with him.”\n")
    # not Mr. Bingley, the next man the lead-in names: unknown, then named by the turns around it
    assert speakers(text)[-3:] == ["Mrs. Bennet", "Mr. Bennet", "Mrs. Bennet"]


def test_someone_who_left_them_is_out_of_the_exchange_but_not_the_one_who_stayed() -> None:
    text = ("“Good morning,” said Mr. Darcy.\n\n“Good morning,” said Elizabeth.\n\n“Good morning,” said Kitty.\n\n"
            "Bingley and Jane soon allowed the others to outstrip them. They lagged behind, while Elizabeth, Kitty, and "
            "Darcy were to entertain each other. Very little was said by either; Kitty was too much afraid of him to "
            "talk; Elizabeth was secretly forming a desperate resolution; and, perhaps, he might be doing the same.\n\n"
            "They walked towards the Lucases’, because Kitty wished to call upon Maria; and as Elizabeth saw no "
            "occasion for making it a general concern, when Kitty left them she went boldly on with him alone. Now was the moment for her resolution to be executed; and "
            "while her courage was high, she immediately said,--\n\n“Mr. Darcy, I am a very selfish creature.”\n")
    assert speakers(text)[-1] == "Elizabeth"
    # a leave-taking told ahead of the talk that follows: he is still there to speak
    told_ahead = ("“Good evening,” said Edmund.\n\n“Good evening,” said Mr. Crawford.\n\n“Good evening,” said Fanny."
                  "\n\nThis was towards the close of their walk. He attended them to the last, and left them only at "
                  "the door of their own house.\n\n“I wish you were not so tired,” said he, still detaining Fanny.\n")
    assert speakers(told_ahead)[-1] == "Mr. Crawford"
    stayed = ("“Good morning,” said Sir William.\n\n“Good morning,” said Mrs. Bennet.\n\n"
              "Mrs. Bennet was too much overpowered to say a great deal while Sir William remained; but no sooner "
              "had he left them than her feelings found a rapid vent.\n\n“Good heavens!” said she.\n")
    assert speakers(stayed)[-1] == "Mrs. Bennet"


def test_a_tag_naming_two_people_names_no_one_of_them() -> None:
    text = ("“Good morning,” said Lady Catherine.\n\n“Good morning,” said Lydia.\n\n"
            "“We will go as far as Meryton with you,” said Catherine and Lydia.\n")
    assert speakers(text)[-1] is None  # not Lady Catherine, whom `Catherine` alone would mean


def test_someone_named_after_her_relation_is_talked_about_and_one_who_withdrew_to_a_friend_stays() -> None:
    text = ("“Good evening,” said Mr. Collins.\n\n“Good evening,” said Lady Catherine.\n\n"
            "“He is sincere,” said Jane.\n\n“I have not a doubt of his sincerity,” said Elizabeth.\n\n"
            "On their being joined by Mr. Bingley himself, Elizabeth withdrew to Miss Lucas; to whose inquiry she had "
            "scarcely replied, before Mr. Collins came up to them, and told her that he had made a discovery.\n\n"
            "“I have found out,” said he, “that there is now in the room a near relation of my patroness: the nephew "
            "of his cousin Miss De Bourgh, and of her mother, Lady Catherine.”\n\n"
            "“You are not going to introduce yourself to Mr. Darcy?”\n")
    assert speakers(text)[-1] == "Elizabeth"


def test_nobody_speaks_of_themselves_by_name_unless_echoing_the_speech_before() -> None:
    text = ("“Good evening,” said Mrs. Bennet.\n\n“Good evening,” said Elizabeth.\n\n"
            "“My overhearings were more to the purpose than yours, Eliza,” said Charlotte.\n\n"
            "“I beg you will not put it into Lizzy’s head to be vexed by his ill-treatment.”\n\n"
            "“Are you quite sure, ma’am?” said Jane.\n")
    assert speakers(text)[3] == "Mrs. Bennet"  # the one Charlotte called, or alternation, gave it to Elizabeth
    # the words a speech quotes are someone else's: Mr. Collins may quote his patroness calling him by name
    quoting = ("“Good morning,” said Mr. Collins.\n\n“Good morning,” said Elizabeth.\n\n"
               "“Allow me to state my reasons for marrying,” said Mr. Collins.\n\n"
               "Elizabeth could not stop him, and he continued:\n\n"
               "“Twice has she condescended to give me her opinion: ‘Mr. Collins, you must marry.’”\n")
    assert speakers(quoting)[-1] == "Mr. Collins"
    # a name the speech before used may be echoed: `little Emma` is the baby on her knee
    echo = ("“Good morning,” said Emma.\n\n“Come, my dear Emma, let us be friends. Tell your aunt, little Emma, that "
            "she ought to set you a better example,” said Mr. Knightley.\n\n"
            "“That’s true,” she cried. “Little Emma, grow up a better woman than your aunt.”\n")
    assert speakers(echo)[-1] == "Emma"


def test_a_he_in_a_running_exchange_is_its_earlier_speaker_before_a_man_the_narration_mentions() -> None:
    text = ("“Good evening,” said Mr. Bingley.\n\n“Good evening,” said Jane.\n\n“Shall we dance?” said Mr. Darcy.\n\n"
            "“If you wish it,” said Elizabeth.\n\n“I have been most highly gratified, my dear sir,” said Sir William.\n\n"
            "The latter part of this address was scarcely heard by Darcy; but Sir William’s allusion to his friend seemed "
            "to strike him forcibly, and his eyes were directed towards Bingley and Jane, who were dancing together. "
            "Recovering himself, he turned to his partner, and said,--\n\n"
            "“Sir William’s interruption has made me forget what we were talking of.”\n\n"
            "“I do not think we were speaking at all. Sir William could not have interrupted two people who had less to "
            "say.”\n\n“What think you of books?”\n")
    # not Mr. Bingley, named last; and Sir William, whom the speech speaks of, is not the one answering either
    assert speakers(text)[-3:] == ["Mr. Darcy", "Elizabeth", "Mr. Darcy"]


def test_a_lead_in_ending_on_a_verb_of_speaking_is_its_clause_subjects() -> None:
    # the subject of the clause the verb belongs to, however long the clause, not the first name of the sentence
    text = ("“Good evening,” said Mrs. Bennet.\n\n“Good evening,” said Lydia.\n\n“Good evening,” said Mr. Collins.\n\n"
            "“Do you know, mamma, that my uncle Philips talks of turning away Richard?” said Lydia.\n\n"
            "Lydia was bid by her two eldest sisters to hold her tongue; but Mr. Collins, much offended, laid aside his "
            "book, and said,--\n\n"
            "“I have often observed how little young ladies are interested by books of a serious stamp.”\n")
    assert speakers(text)[-1] == "Mr. Collins"
    # the same hand-over inside the speech's own paragraph, about a she the narration does not name
    own = ("“Shall we dance?” said Mr. Darcy.\n\n“If you wish it,” said Elizabeth.\n\n"
           "“This is no very striking resemblance of your own character, I am sure,” said he.\n\n"
           "“I must not decide on my own performance.”\n\n"
           "He made no answer; and they were again silent till they had gone down the dance, when he asked her if she "
           "and her sisters did not very often walk to Meryton. She answered in the affirmative; and, unable to resist "
           "the temptation, added, “When you met us there the other day, we had just been forming a new "
           "acquaintance.”\n")
    assert speakers(own)[-2:] == ["Elizabeth", "Elizabeth"]


def test_one_who_follows_a_conversation_between_others_speaks_none_of_it() -> None:
    # the listener is not the first speaker (nor is the man spoken to, who makes no answer: the first speaker goes on);
    # the lady nobody names stays unknown, not named after the brother who joins in or the friend who answers him
    text = ("CHAPTER IX\n\n“Good evening,” said Elizabeth.\n\n“Good evening,” said Mr. Bingley.\n\n“Good evening,” said Mr. Darcy.\n\nCHAPTER X\n\n"
            "Mr. Darcy was writing, and Mr. Hurst and Mr. Bingley were at piquet.\n\n"
            "Elizabeth took up some needlework, and was sufficiently amused in attending to what passed between Mr. "
            "Darcy and his companion.\n\n"
            "“How delighted Miss Darcy will be to receive such a letter!”\n\n"
            "He made no answer.\n\n"
            "“You write uncommonly fast.”\n\n"
            "“You are mistaken. I write rather slowly.”\n\n"
            "“Pray tell your sister that I long to see her.”\n\n"
            "“I have already told her so once, by your desire.”\n\n"
            "“It is a rule with me, that a person who can write a long letter with ease cannot write ill.”\n\n"
            "“That will not do for a compliment to Mr. Darcy,” cried Mr. Bingley.\n\n"
            "“My style of writing is very different from yours,” said Mr. Darcy.\n")
    assert speakers(text)[3:] == [None, None, "Mr. Darcy", None, "Mr. Darcy", None, "Mr. Bingley", "Mr. Darcy"]
    # a he who listens is not one who makes no answer: the exchange goes on by turns
    listener = ("“It is a fine evening,” said Mr. Darcy.\n\n“It is,” said Elizabeth.\n\n"
                "Mr. Bennet sat by the fire with his book. He listened to all that passed between them.\n\n"
                "“Do you walk in the shrubbery?”\n")
    assert speakers(listener)[-1] == "Mr. Darcy"


def test_one_who_can_only_smile_makes_no_answer() -> None:
    text = ("“Good evening,” said Mr. Bennet.\n\n“Good evening,” said Elizabeth.\n\n"
            "“Mr. Darcy, who never looks at any woman but to see a blemish! It is admirable!”\n\n"
            "Elizabeth tried to join in her father’s pleasantry, but could only force one most reluctant smile.\n\n"
            "“Are you not diverted?”\n\n“Oh, yes. Pray read on.”\n")
    assert speakers(text)[-2:] == ["Mr. Bennet", "Elizabeth"]
    nodded = ("“Is it certain?” cried Darcy.\n\n“Oh, yes! They left Brighton together,” said Elizabeth.\n\n"
              "Darcy shook his head in silent acquiescence.\n\n“Had I but known what he was!”\n")
    assert speakers(nodded)[-1] == "Elizabeth"


def test_a_she_tag_is_not_a_woman_named_only_inside_what_a_she_did() -> None:
    # `she ... included Jane`: the she is not Jane, nor is the she of the tag that goes on about her; the narration
    # names no one else, so the speaker is unknown rather than Jane
    text = ("“Good morning,” said Jane.\n\n“Good morning,” said Elizabeth.\n\n"
            "Her tour was now the object of her happiest thoughts; and could she have included Jane in the scheme, every "
            "part of it would have been perfect.\n\n"
            "“But it is fortunate,” thought she, “that I have something to wish for.”\n")
    assert speakers(text)[-1] is None
    # one the narration names as the subject of a clause of her own may speak next (`..., when Marianne observed`)
    subject = ("“Good morning,” said Elinor.\n\n“Good morning,” said Marianne.\n\n"
               "She was silently grieving over the letters, when Marianne, perceiving that she had finished them, "
               "observed that they were like any other.\n\n"
               "“I felt myself,” she added, “to be as solemnly engaged to him.”\n")
    assert speakers(subject)[-1] == "Marianne"
    # and a woman named by the she's object in another clause than the she's is still the nearest reading
    other_clause = ("“Good morning,” said Jane.\n\n“Good morning,” said Elizabeth.\n\n"
                    "She had walked out; Jane met her at the door by the shrubbery.\n\n"
                    "“You are late,” said she.\n")
    assert speakers(other_clause)[-1] == "Jane"


def test_words_the_narration_has_someone_hear_are_not_the_next_tags_speakers() -> None:
    text = ("“Now tell me, Pat, what’s that in the window?” said the Rabbit.\n\n"
            "There was a long silence after this, and Alice could only hear whispers now and then; such as, “Sure, I "
            "don’t like it, yer honour, at all, at all!” “Do as I tell you, you coward!” and at last she spread out her "
            "hand again. This time there were two little shrieks. “What a number of cucumber-frames there must be!” "
            "thought Alice.\n")
    spans = extract_dialogue(text).spans()
    assert [span["speaker"] for span in spans] == ["Rabbit", None, None, "Alice"]


def test_words_a_he_or_she_gives_in_the_narration_are_answered_by_the_other() -> None:
    text = ("“Shall we dance?” said Mr. Darcy.\n\n“It is your turn to say something now, Mr. Darcy,” said Elizabeth.\n\n"
            "He smiled, and assured her that whatever she wished him to say should be said.\n\n"
            "“Very well; that reply will do for the present.”\n\n“Do you talk by rule, then, while you are dancing?”\n")
    assert speakers(text) == ["Mr. Darcy", "Elizabeth", "Elizabeth", "Mr. Darcy"]


def test_what_a_look_seemed_to_say_is_nobodys_speech() -> None:
    text = ("“It was not in her nature,” said Captain Harville.\n\n“It would not be the nature of any woman,” said Anne.\n\n"
            "Captain Harville smiled, as much as to say, “Do you claim that for your sex?” and she answered the question, "
            "smiling also, “Yes. We do not forget you as soon as you forget us.”\n")
    spans = extract_dialogue(text).spans()
    assert [span["speaker"] for span in spans] == ["Captain Harville", "Anne", None, "Anne"]


def test_a_name_after_a_phrase_of_time_opens_its_clause() -> None:
    # `and, after a moment's pause, Mrs. Elton chose another subject`: she is that clause's subject, the she of the tag
    text = ("“But every thing of that kind,” said Emma, “will soon be in a regular train.”\n\n"
            "“Well,” said Mrs. Elton, laughing, “we shall see.”\n\n"
            "Emma, finding her so determined, had nothing more to say; and, after a moment's pause, Mrs. Elton chose "
            "another subject.\n\n“We have been calling at Randalls,” said she.\n")
    assert speakers(text)[-1] == "Mrs. Elton"


def test_a_name_whose_thing_it_is_is_not_the_subject_of_the_lead_in() -> None:
    # `her escape from Jane Fairfax's letter, ... when Miss Bates turned to her again`: Miss Bates speaks, not Jane
    text = ("“Are you writing to Jane?” said Emma.\n\n“I am,” said Miss Bates.\n\n"
            "And Emma had the advantage of hearing her own silly compliment repeated twice over before the good old "
            "lady could comprehend it. She was pondering, in the meanwhile, upon the possibility, without seeming very "
            "rude, of making her escape from Jane Fairfax's letter, and had almost resolved on hurrying away directly "
            "under some slight excuse, when Miss Bates turned to her again and seized her attention.\n\n"
            "“My mother's deafness is very trifling, you see. She should always hear Jane better than she does me.”\n")
    assert speakers(text)[-1] == "Miss Bates"


def test_a_speech_that_goes_on_around_a_tagged_aside_is_not_the_asides_speaker() -> None:
    # The aside's tag names its own words only: before, the whole paragraph was Alice's (the Mock Turtle's lines
    # went into her dataset). Nothing names the speech's own speaker, so it is unknown.
    text = ("“No,” said Alice.\n\n“Hm,” said the Gryphon.\n\n"
            "The Mock Turtle sighed deeply, and at last he went on again:—\n\n"
            "“You may not have lived much under the sea—” (“I haven’t,” said Alice)—“and perhaps you were "
            "never even introduced to a lobster—” (Alice began to say “I once tasted—” but checked herself hastily, "
            "and said “No, never”) “—so you can have no idea what a delightful thing a Lobster Quadrille is!”\n\n"
            "“No, indeed,” said Alice. “What sort of a dance is it?”\n\n"
            "Last came a little feeble, squeaking voice, (“That’s Bill,” thought Alice,) “Well, I hardly know—No "
            "more, thank ye; I’m better now.”\n\n"
            "(“I only wish it was,” the Hare said to itself in a whisper.)\n")
    result = extract_dialogue(text)
    spans = [(span["text"], span["speaker"]) for span in result.spans()]
    assert spans[2:8] == [("You may not have lived much under the sea—", None), ("I haven’t,", "Alice"),
                          ("and perhaps you were never even introduced to a lobster—", None),
                          ("I once tasted—", "Alice"), ("No, never", "Alice"),
                          ("—so you can have no idea what a delightful thing a Lobster Quadrille is!", None)]
    # the speech around the asides is one person's, answered by Alice's asides: five turns of an exchange
    around = [turn.extra["speaker_id"] for turn in result.turns if turn.speaker is None]
    assert len(around) == 4 and len(set(around[:3])) == 1 and around[3] != around[0]
    assert spans[8:] == [("No, indeed,", "Alice"), ("What sort of a dance is it?", "Alice"), ("That’s Bill,", "Alice"),
                         ("Well, I hardly know—No more, thank ye; I’m better now.", None),
                         ("I only wish it was,", "Hare")]  # an aside with no speech around it keeps its tag
