"""Common given names of English fiction by gender, a prior for characters the text never gives a title or a
clear he/she (`replied he` in a scene with Edward and Margaret, neither titled). Data only: read by
`attribution.first_name_gender`."""

_FEMALE = (
    "Ada Adele Agnes Alice Alicia Amelia Amy Ann Anna Anne Arabella Augusta Beatrice Bertha Blanche Caroline "
    "Catherine Cecilia Celia Charlotte Clara Constance Diana Dinah Dora Dorothea Dorothy Edith Eleanor Elinor "
    "Eliza Elizabeth Ellen Emily Emma Esther Estella Fanny Flora Florence Frances Georgiana Gertrude Grace "
    "Gwendolen Hannah Harriet Helen Henrietta Hester Hetty Isabella Jane Jemima Jenny Jessie Jo Josephine Judith "
    "Julia Kate Katherine Kitty Laura Lavinia Letitia Lilian Lizzy Lottie Louisa Lucy Lydia Mabel Margaret Maria "
    "Marian Marianne Marion Martha Mary Matilda Maud Meg Millie Minnie Molly Nancy Nell Nelly Nora Olivia "
    "Penelope Phoebe Polly Priscilla Rachel Rebecca Rosa Rosamond Rose Ruth Sally Sarah Selina Sophia Sophy "
    "Susan Susanna Sybil Tabitha Tess Theresa Victoria Winifred").split()
_MALE = (
    "Abraham Albert Alfred Andrew Anthony Arthur Basil Ben Benjamin Bertram Bob Charles Christopher Cyril Daniel "
    "David Dick Dorian Ebenezer Edgar Edmund Edward Edwin Ernest Francis Frank Frederick Gabriel Geoffrey George "
    "Gerald Gilbert Guy Harold Harry Henry Herbert Horace Hugh Humphrey Isaac Jack Jacob James Jasper Jem Jim Joe "
    "John Jonathan Joseph Joshua Julian Lawrence Leonard Lewis Lionel Louis Mark Martin Matthew Maurice Michael "
    "Miles Ned Nicholas Oliver Oscar Owen Patrick Paul Percy Peter Philip Ralph Reginald Richard Robert Roger "
    "Rupert Sam Samuel Silas Simon Stephen Sydney Theodore Thomas Tim Timothy Tom Tommy Victor Walter Wilfred "
    "William").split()
FIRST_NAME_GENDER = {**{name: "f" for name in _FEMALE}, **{name: "m" for name in _MALE}}
